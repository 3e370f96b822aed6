// Digit images in DuckDB: 28×28 images stored as a FLOAT[784] column, a
// network trained on them from a DuckDB query, and scored in SQL with
// dense_predict_label over the whole array column.
//
//	go run ./examples/digits
//
// The images are synthetic (pen strokes with random thickness, slant,
// rotation, shift and noise; there is no download here), so accuracy is
// high but not perfect; the shape of the work is MNIST's.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/udf"
)

func main() {
	train := flag.Int("train", 8000, "training images")
	test := flag.Int("test", 2000, "test images")
	epochs := flag.Int("epochs", 8, "training epochs")
	flag.Parse()
	if _, err := run(context.Background(), os.Stdout, *train, *test, *epochs); err != nil {
		log.Fatal(err)
	}
}

// run builds the table, trains, scores in SQL and returns the test accuracy.
func run(ctx context.Context, w io.Writer, trainRows, testRows, epochs int) (float64, error) {
	db, err := sql.Open("duckdb", "") // in memory
	if err != nil {
		return 0, err
	}
	defer db.Close()

	// 1. A table of images: id, label, split and pixels FLOAT[784].
	if err := loadDigits(ctx, db, trainRows, testRows); err != nil {
		return 0, err
	}
	var sample []byte
	if err := db.QueryRowContext(ctx, "SELECT typeof(pixels) FROM digits LIMIT 1").Scan(&sample); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "table digits: %d training and %d test images, pixels %s\n", trainRows, testRows, sample)
	img := make([]float32, Side*Side)
	render(7, rand.New(rand.NewPCG(3, 3)), img)
	fmt.Fprintf(w, "one of the sevens:\n%s", ascii(img))

	// 2. Train from a DuckDB query: the FLOAT[784] column becomes a
	// 784-wide vector input, scaled with one fitted mean and std.
	r, err := duckio.Query(ctx, db, "SELECT pixels, label FROM digits WHERE split = 'train'", duckio.Options{})
	if err != nil {
		return 0, err
	}
	res, err := pipeline.Train(ctx, r, pipeline.TrainConfig{
		Source:    "examples/digits",
		Target:    "label",
		Task:      pipeline.TaskMulticlass,
		Hidden:    []int{128},
		Epochs:    epochs,
		BatchSize: 64,
		Seed:      1,
	})
	r.Close()
	if err != nil {
		return 0, err
	}
	fmt.Fprint(w, res.Model.Summary())
	fmt.Fprintf(w, "validation accuracy %.3f\n", res.Metrics["accuracy"])

	// 3. Score in SQL. An in-memory model source here; `dense sql` uses the
	// models folder instead.
	models := udf.NewMemory()
	models.Add("digits", res.Model)
	if err := udf.Register(db, models); err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `
		SELECT label,
		       count(*) AS images,
		       round(avg((dense_predict_label('digits', pixels) = label::VARCHAR)::INT), 3) AS accuracy
		FROM digits WHERE split = 'test'
		GROUP BY label ORDER BY label`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	fmt.Fprintln(w, "test accuracy by digit, scored in SQL:")
	total, correct := 0, 0.0
	for rows.Next() {
		var label, n int
		var acc float64
		if err := rows.Scan(&label, &n, &acc); err != nil {
			return 0, err
		}
		fmt.Fprintf(w, "  %d  %4d images  %.3f\n", label, n, acc)
		total += n
		correct += acc * float64(n)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if total == 0 {
		return 0, errors.New("no test images scored")
	}
	fmt.Fprintf(w, "overall test accuracy %.3f\n", correct/float64(total))
	return correct / float64(total), nil
}

// loadDigits creates the digits table and appends generated images.
func loadDigits(ctx context.Context, db *sql.DB, trainRows, testRows int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE digits (id INTEGER, label INTEGER, split VARCHAR, pixels FLOAT[784])`); err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "digits")
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(7, 11))
		img := make([]float32, Side*Side)
		for i := range trainRows + testRows {
			label := r.IntN(10)
			render(label, r, img)
			split := "train"
			if i >= trainRows {
				split = "test"
			}
			pixels := make([]any, len(img))
			for j, v := range img {
				pixels[j] = v
			}
			if err := a.AppendRow(int32(i), int32(label), split, pixels); err != nil {
				a.Close()
				return fmt.Errorf("appending image %d: %w", i, err)
			}
		}
		return a.Close()
	})
}
