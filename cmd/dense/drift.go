package main

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/tabular"
)

// driftReader passes batches through unchanged and feeds each to a drift
// check on the way (dense score --check, dense eval).
type driftReader struct {
	pipeline.Reader
	check *tabular.DriftChecker
}

// withDriftCheck wraps r so that every batch read is compared with the
// model's training statistics.
func withDriftCheck(r pipeline.Reader, spec *nn.Spec) (*driftReader, error) {
	check, err := tabular.NewDriftChecker(spec.Inputs, r.Schema())
	if err != nil {
		return nil, fmt.Errorf("drift check: %w", err)
	}
	return &driftReader{Reader: r, check: check}, nil
}

func (d *driftReader) Read() (arrow.RecordBatch, error) {
	b, err := d.Reader.Read()
	if err != nil {
		return nil, err
	}
	if err := d.check.Observe(b); err != nil {
		b.Release()
		return nil, fmt.Errorf("drift check: %w", err)
	}
	return b, nil
}
