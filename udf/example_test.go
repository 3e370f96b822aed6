//go:build !dense_extension

package udf_test

import (
	"database/sql"
	"fmt"
	"log"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/udf"
	_ "github.com/duckdb/duckdb-go/v2"
)

// Scoring rows in SQL with a model held in memory.
func Example() {
	// A binary classifier on two inputs, with weights set by hand:
	// P(yes) = sigmoid(2·age_scaled − 1), age standard-scaled around 40 ± 10.
	spec := nn.Spec{
		Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskBinary, Labels: []string{"no", "yes"},
		Inputs: []nn.Input{
			{Name: "age", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 40, Std: 10}},
			{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro"}},
		},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)},
	}
	model, err := nn.NewModel(spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	ts := model.Tensors()
	copy(ts[0].Data, []float32{2, 0, 0}) // age, plan=basic, plan=pro
	ts[1].Data[0] = -1

	models := udf.NewMemory()
	models.Add("buyer", model)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := udf.Register(db, models); err != nil {
		log.Fatal(err)
	}

	rows, err := db.Query(`
		SELECT c.id, dense_predict_label('buyer', c), round(dense_predict('buyer', c.age, c.plan), 3)
		FROM (VALUES (1, 30, 'basic'), (2, 45, 'pro'), (3, 70, 'pro'), (4, NULL, 'pro')) c(id, age, plan)
		ORDER BY c.id`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var label sql.NullString
		var p sql.NullFloat64
		if err := rows.Scan(&id, &label, &p); err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, label.String, p.Float64, p.Valid)
	}
	// Output:
	// 1 no 0.047 true
	// 2 yes 0.5 true
	// 3 yes 0.993 true
	// 4  0 false
}
