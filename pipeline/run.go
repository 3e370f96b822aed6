//go:build !dense_extension

package pipeline

// The YAML runner reads and writes DuckDB through duckio, which links
// DuckDB (duckdb-go); it is the only such file of the package. The loadable
// extension's build (tag dense_extension, where DuckDB is the host and
// must not be linked) leaves it out: there SQL's dense_train calls Train on
// a Reader of its own.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
)

// RunResult is what Run did.
type RunResult struct {
	Train *TrainResult
	// Scored is the number of rows the score step wrote (0 without one),
	// and Sink where it wrote them.
	Scored int64
	Sink   string
}

// Run executes a spec: train on its source, register the model and, when
// the spec has a score section, score that source with the new model into
// the sink. Progress goes to spec.OnEvent. Errors name the step:
// "pipeline: run: source: …", "pipeline: train: …", "pipeline: score: …".
func Run(ctx context.Context, spec *Spec) (*RunResult, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: spec: %w", err)
	}
	src, err := OpenSource(ctx, spec.resolveSource(spec.Source))
	if err != nil {
		return nil, fmt.Errorf("pipeline: run: source: %w", err)
	}
	res, err := Train(ctx, src, spec.TrainConfig())
	src.Close()
	if err != nil {
		return nil, err
	}
	out := &RunResult{Train: res}
	if spec.Score == nil {
		return out, nil
	}
	out.Scored, out.Sink, err = spec.score(ctx, res)
	return out, err
}

func (s *Spec) resolveSource(src SourceSpec) SourceSpec {
	src.Path = s.resolve(src.Path)
	src.DB = s.resolve(src.DB)
	return src
}

func (s *Spec) score(ctx context.Context, res *TrainResult) (int64, string, error) {
	sc := s.Score
	srcSpec := s.resolveSource(sc.Source)
	sink := sc.Sink
	sink.Path, sink.DB = s.resolve(sink.Path), s.resolve(sink.DB)

	// Scoring a DuckDB table into the same database: DuckDB refuses a
	// read-only and a read-write handle on one file in one process, so both
	// sides share one read-write handle.
	var shared *sql.DB
	var src Reader
	var err error
	if sink.DB != "" && srcSpec.DB != "" && samePath(sink.DB, srcSpec.DB) {
		if shared, err = openDuckDB(sink.DB); err == nil {
			defer shared.Close()
			src, err = duckio.Query(ctx, shared, srcSpec.Query, duckio.Options{BatchSize: srcSpec.BatchSize})
		}
	} else {
		src, err = OpenSource(ctx, srcSpec)
	}
	if err != nil {
		return 0, "", fmt.Errorf("pipeline: run: score source: %w", err)
	}
	names := sc.Columns.withDefaults()
	cols := PredictionColumns{Score: names.Score, Label: names.Label, Proba: names.Proba}
	scored, err := ScoreStage{Model: res.Model, Columns: cols, OnEvent: s.OnEvent}.Apply(ctx, src)
	if err != nil {
		src.Close()
		return 0, "", err
	}
	defer scored.Close()
	w, where, cleanup, err := openSink(ctx, sink, scored, shared)
	if err != nil {
		return 0, "", fmt.Errorf("pipeline: run: sink: %w", err)
	}
	n, err := drainScored(ctx, scored, w)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("pipeline: run: sink %s: %w", where, cerr)
	}
	if err != nil {
		cleanup()
		return n, where, err
	}
	return n, where, nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// openDuckDB opens a DuckDB database file read-write.
func openDuckDB(path string) (*sql.DB, error) {
	return sql.Open("duckdb", path)
}

// OpenSource opens a file source (duckio.Open: CSV, JSON lines and Parquet
// through DuckDB's own readers, so the columns and types are those SQL sees
// in FROM 'path'; a glob or a hive-partitioned folder; Arrow IPC through
// arrowio) or a DuckDB query on a database file opened read-only.
func OpenSource(ctx context.Context, src SourceSpec) (Reader, error) {
	opts := duckio.Options{BatchSize: src.BatchSize}
	switch {
	case src.Path != "":
		return duckio.Open(ctx, src.Path, opts)
	case src.DB != "" && src.Query != "":
		return duckio.QueryFile(ctx, src.DB, src.Query, opts)
	}
	return nil, errors.New("no source: give a path, or a db and a query")
}

// openSink creates the sink for the scored stream: a file (format by
// extension) or a DuckDB table. cleanup removes a partly written file.
func openSink(ctx context.Context, sink SinkSpec, scored Reader, shared *sql.DB) (w Writer, where string, cleanup func(), err error) {
	if sink.Path != "" {
		w, err := arrowio.Create(sink.Path, scored.Schema(), arrowio.WriterOptions{})
		if err != nil {
			return nil, "", nil, err
		}
		return w, sink.Path, func() { os.Remove(sink.Path) }, nil
	}
	mode := sink.Mode
	if mode == "" {
		mode = "create"
	}
	m, err := duckio.ParseTableMode(mode)
	if err != nil {
		return nil, "", nil, err
	}
	where = sink.DB + ":" + sink.Table
	if shared != nil {
		dw, err := duckio.NewTableWriter(ctx, shared, sink.Table, m)
		if err != nil {
			return nil, "", nil, err
		}
		dw.SetSchema(scored.Schema())
		return dw, where, func() {}, nil
	}
	dw, err := duckio.OpenTableWriter(ctx, sink.DB, sink.Table, m)
	if err != nil {
		return nil, "", nil, err
	}
	dw.SetSchema(scored.Schema())
	return dw, where, func() {}, nil
}
