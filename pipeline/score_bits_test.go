package pipeline

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// concatBatches is one batch of all of bs's rows (bs are released).
func concatBatches(t *testing.T, mem memory.Allocator, bs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, bs[0].NumCols())
	rows := int64(0)
	for _, b := range bs {
		rows += b.NumRows()
	}
	for j := range cols {
		parts := make([]arrow.Array, len(bs))
		for i, b := range bs {
			parts[i] = b.Column(j)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[j] = c
	}
	out := array.NewRecordBatch(bs[0].Schema(), cols, rows)
	for _, c := range cols {
		c.Release()
	}
	for _, b := range bs {
		b.Release()
	}
	return out
}

// The score stage runs the model's network through an nn.Scorer: its
// outputs are Model.PredictInto's on the Featurizer's rows, bit for bit,
// for standardised (mean-imputed) numbers, one-hot categories and both,
// at batch sizes from one row to one the Scorer shares between cores.
func TestScoreStageSameBitsAsPredictInto(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		features     []string
		hidden       []int
	}{
		{"standardised", "spend", []string{"a", "b"}, []int{64, 32}},
		{"categorical", "tier", []string{"region"}, []int{16}},
		{"mixed binary", "churn", []string{"a", "b", "region"}, []int{64, 32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := checkedMem(t)
			cfg := quickConfig(tc.target)
			cfg.Features, cfg.Exclude, cfg.Hidden, cfg.Epochs = tc.features, nil, tc.hidden, 3
			model := trainOn(t, mem, cfg)
			if tc.name == "standardised" {
				for _, in := range model.Spec().Inputs {
					if in.Scale == nil || in.Scale.Method != nn.ScaleStandard {
						t.Fatalf("input %q is not standardised: %+v", in.Name, in.Scale)
					}
				}
			}
			// Batches of 1, 100, 37 and 9,000 rows (b has NULLs).
			in := []arrow.RecordBatch{genBatches(mem, 1, 11)[0], genBatches(mem, 100, 12)[0]}
			whole := genBatches(mem, 100, 13)[0]
			in = append(in, whole.NewSlice(3, 40))
			whole.Release()
			in = append(in, concatBatches(t, mem, genBatches(mem, 9000, 14)))
			f, err := tabular.NewFeaturizer(model.Spec().Inputs, in[0].Schema())
			if err != nil {
				t.Fatal(err)
			}
			ws := model.NewWorkspace()
			var want [][]float32
			for _, b := range in {
				x, err := f.Encode(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				rows := int(b.NumRows())
				out := make([]float32, rows*model.OutputWidth())
				if err := model.PredictInto(out, x, rows, ws); err != nil {
					t.Fatal(err)
				}
				want = append(want, out)
			}
			sr, err := ScoreStage{Model: model}.Apply(context.Background(), newMemReader(in...))
			if err != nil {
				t.Fatal(err)
			}
			w := &collectWriter{}
			defer w.release()
			if _, err := Drain(context.Background(), sr, w); err != nil {
				t.Fatal(err)
			}
			sr.Close()
			if len(w.batches) != len(want) {
				t.Fatalf("%d batches scored, want %d", len(w.batches), len(want))
			}
			spec := model.Spec()
			ow := model.OutputWidth()
			for bi, b := range w.batches {
				score := column(t, b, "prediction").(*array.Float64)
				var proba *array.FixedSizeList
				if spec.Task != nn.TaskRegression {
					proba = column(t, b, "probabilities").(*array.FixedSizeList)
				}
				for r := range int(b.NumRows()) {
					p := want[bi][r*ow : (r+1)*ow]
					var s float32
					switch spec.Task {
					case nn.TaskMulticlass:
						k, _ := spec.Classify(p)
						s = p[k]
					default:
						s = p[0]
					}
					where := fmt.Sprintf("batch %d row %d", bi, r)
					if score.IsNull(r) || float64(float32(score.Value(r))) != score.Value(r) || math.Float32bits(float32(score.Value(r))) != math.Float32bits(s) {
						t.Fatalf("%s: prediction %v, Model.PredictInto %v", where, score.Value(r), s)
					}
					if proba == nil {
						continue
					}
					vals := proba.ListValues().(*array.Float32)
					start, end := proba.ValueOffsets(r)
					got := vals.Float32Values()[start:end]
					if spec.Task == nn.TaskBinary {
						got = got[1:] // P(no), P(yes): the output is P(yes)
					}
					for j := range got {
						if math.Float32bits(got[j]) != math.Float32bits(p[j]) {
							t.Fatalf("%s: probabilities %v, Model.PredictInto %v", where, got, p)
						}
					}
				}
			}
		})
	}
}
