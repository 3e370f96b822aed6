package dense

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(Batch{}), encodeBatch, decodeBatch)
}

// Batch is the element of this package's PCollections: an Arrow record
// batch (a slice of a Parquet row group, up to a few thousand rows) and
// where its rows come from. Within a fused stage a Batch is passed by
// reference; between stages (a reshuffle, a group by key, another worker)
// Beam encodes it as an Arrow IPC stream.
type Batch struct {
	Record arrow.RecordBatch
	// Source is the file the rows were read from and Row the 0-based row of
	// the file the batch starts at; dead letters report them.
	Source string
	Row    int64
}

// encodeBatch is Batch's Beam coder: a uvarint-prefixed Source, a varint
// Row, then the record as an Arrow IPC stream (schema, one batch).
func encodeBatch(b Batch) ([]byte, error) {
	if b.Record == nil {
		return nil, errors.New("dense: encoding a Batch without a record")
	}
	var buf bytes.Buffer
	var n [binary.MaxVarintLen64]byte
	buf.Write(n[:binary.PutUvarint(n[:], uint64(len(b.Source)))])
	buf.WriteString(b.Source)
	buf.Write(n[:binary.PutVarint(n[:], b.Row)])
	w := ipc.NewWriter(&buf, ipc.WithSchema(b.Record.Schema()))
	if err := w.Write(b.Record); err != nil {
		return nil, fmt.Errorf("dense: encoding a batch of %s: %w", b.Source, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("dense: encoding a batch of %s: %w", b.Source, err)
	}
	return buf.Bytes(), nil
}

func decodeBatch(data []byte) (Batch, error) {
	r := bytes.NewReader(data)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(r.Len()) {
		return Batch{}, errors.New("dense: decoding a batch: bad source length")
	}
	src := make([]byte, n)
	r.Read(src)
	row, err := binary.ReadVarint(r)
	if err != nil {
		return Batch{}, errors.New("dense: decoding a batch: bad row offset")
	}
	ir, err := ipc.NewReader(r, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return Batch{}, fmt.Errorf("dense: decoding a batch of %s: %w", src, err)
	}
	defer ir.Release()
	if !ir.Next() {
		if err := ir.Err(); err != nil {
			return Batch{}, fmt.Errorf("dense: decoding a batch of %s: %w", src, err)
		}
		return Batch{}, fmt.Errorf("dense: decoding a batch of %s: no record", src)
	}
	rec := ir.RecordBatch()
	rec.Retain()
	return Batch{Record: rec, Source: string(src), Row: row}, nil
}

// selectRows returns the rows of rec where keep is true, in order, as a
// new record (runs of kept rows are sliced and concatenated, so a batch
// with a few bad rows costs a few copies).
func selectRows(rec arrow.RecordBatch, keep []bool) (arrow.RecordBatch, error) {
	type run struct{ lo, hi int }
	var runs []run
	n := 0
	for r := 0; r < len(keep); {
		if !keep[r] {
			r++
			continue
		}
		lo := r
		for r < len(keep) && keep[r] {
			r++
		}
		runs = append(runs, run{lo, r})
		n += r - lo
	}
	cols := make([]arrow.Array, rec.NumCols())
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for i, ru := range runs {
			parts[i] = array.NewSlice(rec.Column(c), int64(ru.lo), int64(ru.hi))
		}
		var err error
		if len(parts) == 0 {
			cols[c] = array.MakeArrayOfNull(memory.DefaultAllocator, rec.Column(c).DataType(), 0)
		} else {
			cols[c], err = array.Concatenate(parts, memory.DefaultAllocator)
		}
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, fmt.Errorf("dense: selecting rows of column %q: %w", rec.Schema().Field(c).Name, err)
		}
	}
	out := array.NewRecordBatch(rec.Schema(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}
