package udf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unsafe"

	"github.com/dense-ml/dense/nn"
)

// dense_explain(model, features…) → LIST(STRUCT(input VARCHAR, value
// VARCHAR, attribution DOUBLE)): the features are bound and read exactly as
// for the predict functions (same plan, same encoder); each chunk's encoded
// rows go through nn.Explainer in one batch, and every row gets one entry
// per model input, sorted by |attribution| (largest first, input order on
// ties).

// explainReturnType is dense_explain's result type.
func explainReturnType() logicalType {
	fields := []logicalType{newLogicalType(typeVarchar), newLogicalType(typeVarchar), newLogicalType(typeDouble)}
	st := newStructType([]string{"input", "value", "attribution"}, fields)
	for i := range fields {
		destroyLogicalType(&fields[i])
	}
	ret := newListType(st)
	destroyLogicalType(&st)
	return ret
}

// bindExplain prepares the integrated gradients of a dense_explain call.
func (p *plan) bindExplain() error {
	if p.spec.Task == nn.TaskRegression && p.outW != 1 {
		return fmt.Errorf("%s: the model has %d outputs and dense_explain explains one score", p.call, p.outW)
	}
	e, err := nn.NewExplainer(p.model)
	if errors.Is(err, nn.ErrNoBaseline) {
		return fmt.Errorf("%s: the model stores no baseline to explain from: it was trained before dense stored one, "+
			"or built or imported outside dense train; retrain it with dense train", p.call)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p.call, err)
	}
	p.explainer = e
	return nil
}

// explainScratch is one call's memory beyond the plan's scratch.
type explainScratch struct {
	ws    *nn.ExplainWorkspace
	attr  nn.Attributions
	order []int
	abs   []float64
	buf   []byte
	names [][16]byte // each input name's duckdb_string_t in this chunk's child vector
	// texts caches, per input, the inlined duckdb_string_t of recent
	// FLOAT and DOUBLE values (data repeats its values: formatting the
	// shortest text is most of the writer's time). Entries of an earlier
	// call (another model, another chunk) have another gen.
	texts []valueTextEntry
	gen   uint32
}

type valueTextEntry struct {
	gen  uint32
	bits uint64
	s    [16]byte
}

// valueTextSlots is the number of cached values per input (a power of 2).
const valueTextSlots = 256

var explainScratches = sync.Pool{New: func() any { return &explainScratch{ws: &nn.ExplainWorkspace{}} }}

// writeExplain explains the chunk's n encoded rows x and writes the lists.
func (p *plan) writeExplain(in dataChunk, out vector, x []float32, n int, s *scratch) error {
	es := explainScratches.Get().(*explainScratch)
	defer explainScratches.Put(es)
	if err := p.explainer.Explain(&es.attr, x, n, es.ws); err != nil {
		return fmt.Errorf("%s: %w", p.call, err)
	}
	inputs := p.spec.Inputs
	k := len(inputs)
	valid := 0
	for r := range n {
		s.null[r] = s.null[r] || math.IsNaN(es.attr.Score[r])
		if !s.null[r] {
			valid++
		}
	}
	base := listVectorSize(out)
	total := base + valid*k
	listVectorReserve(out, total)
	listVectorSetSize(out, total)
	child := listVectorChild(out)
	nameV, valueV, attrV := structVectorChild(child, 0), structVectorChild(child, 1), structVectorChild(child, 2)
	names := unsafe.Slice((*[16]byte)(vectorData(nameV)), total)
	values := unsafe.Slice((*[16]byte)(vectorData(valueV)), total)
	attrs := unsafe.Slice((*float64)(vectorData(attrV)), total)
	entries := unsafe.Slice((*[2]uint64)(vectorData(out)), n)
	src := p.explainSources(in)
	es.names = growSlice(es.names, k)
	clear(es.names)
	es.order, es.abs = growSlice(es.order, k), growSlice(es.abs, k)
	// The value field's validity mask, written for every entry.
	vectorEnsureValidityWritable(valueV)
	valueMask := unsafe.Slice((*uint64)(vectorValidity(valueV)), (total+63)/64)
	es.gen++
	if es.gen == 0 { // wrapped: no entry may look current
		clear(es.texts)
		es.gen = 1
	}
	es.texts = growSlice(es.texts, k*valueTextSlots)
	at := base
	for r := range n {
		if s.null[r] {
			entries[r] = [2]uint64{uint64(at), 0}
			continue
		}
		entries[r] = [2]uint64{uint64(at), uint64(k)}
		vals := es.attr.Values[r*k : (r+1)*k]
		order := sortByMagnitude(es.order, es.abs, vals)
		for _, i := range order {
			// Input names: written once per chunk, then the 16-byte
			// string_t is copied (a long name points into the child
			// vector's own string heap, which lives as long as the vector).
			if es.names[i] == ([16]byte{}) {
				setString(nameV, names, at, inputs[i].Name)
				es.names[i] = names[at]
			} else {
				names[at] = es.names[i]
			}
			attrs[at] = vals[i]
			if key, ok := p.floatValue(&src, i, r); ok {
				e := &es.texts[i*valueTextSlots+int((key*0x9E3779B97F4A7C15)>>(64-8))]
				if e.gen == es.gen && e.bits == key {
					values[at] = e.s
					valueMask[at>>6] |= uint64(1) << (uint(at) & 63)
					at++
					continue
				}
				text, _ := p.valueText(es, &src, i, r)
				if len(text) <= 12 {
					setString(valueV, values, at, unsafe.String(unsafe.SliceData(text), len(text)))
					*e = valueTextEntry{gen: es.gen, bits: key, s: values[at]}
				} else {
					setString(valueV, values, at, unsafe.String(unsafe.SliceData(text), len(text)))
				}
				valueMask[at>>6] |= uint64(1) << (uint(at) & 63)
				at++
				continue
			}
			text, ok := p.valueText(es, &src, i, r)
			bit := uint64(1) << (uint(at) & 63)
			if ok {
				valueMask[at>>6] |= bit
			} else {
				valueMask[at>>6] &^= bit
			}
			if ok {
				setString(valueV, values, at, unsafe.String(unsafe.SliceData(text), len(text)))
			}
			at++
		}
	}
	setValidity(out, s.null)
	return nil
}

// setString writes s as row i of the VARCHAR vector v (data its
// duckdb_string_t's): inlined when it fits in 12 bytes, else through
// DuckDB, which copies it into the vector's string heap.
func setString(v vector, data [][16]byte, i int, s string) {
	if len(s) <= 12 {
		data[i] = [16]byte{}
		*(*uint32)(unsafe.Pointer(&data[i][0])) = uint32(len(s))
		copy(data[i][4:], s)
		return
	}
	assignString(v, i, s)
}

// sortByMagnitude returns the indices of vals by |value|, largest first,
// in index order on ties (an insertion sort: a model has few inputs, and
// this runs for every row).
func sortByMagnitude(order []int, abs, vals []float64) []int {
	for i, v := range vals {
		abs[i] = math.Abs(v)
	}
	for i := range order {
		j := i
		for j > 0 && abs[order[j-1]] < abs[i] {
			order[j] = order[j-1]
			j--
		}
		order[j] = i
	}
	return order
}

// explainSources are the vectors the inputs' raw values come from, for the
// value field: per input its vector, and for the list form the list and its
// elements.
type explainSources struct {
	feeds []vec
	list  vec
}

func (p *plan) explainSources(in dataChunk) explainSources {
	var src explainSources
	argVec := func(i int) vec { return newVec(p.args[i], chunkVector(in, i+1)) }
	switch p.form {
	case formList:
		src.list = argVec(0)
		elems := src.list.child()
		for range p.feeds {
			src.feeds = append(src.feeds, elems)
		}
	case formStruct:
		strct := argVec(0)
		for i := range p.feeds {
			src.feeds = append(src.feeds, strct.field(p.feeds[i].field))
		}
	default:
		for i := range p.feeds {
			src.feeds = append(src.feeds, argVec(p.feeds[i].arg))
		}
	}
	return src
}

// valueText is input i's raw value in row r as text (in es.buf): a number
// as DuckDB's type gives it, a category, a vector as [e1, e2, …]; ok is
// false for NULL (an imputed input).
func (p *plan) valueText(es *explainScratch, src *explainSources, i, r int) ([]byte, bool) {
	f := &p.feeds[i]
	v := &src.feeds[i]
	at := r
	if p.form == formList {
		off, _ := src.list.listEntry(r)
		at = off + f.pos
	}
	switch f.kind {
	case nn.KindCategorical:
		if !v.valid(at) {
			return nil, false
		}
		es.buf = append(es.buf[:0], v.category(at)...)
		return es.buf, true
	case nn.KindNumeric:
		if !v.valid(at) {
			return nil, false
		}
		es.buf = appendNumber(es.buf[:0], v, at)
		return es.buf, true
	case nn.KindDate:
		if !v.valid(at) {
			return nil, false
		}
		es.buf = v.dateText(es.buf[:0], at) // dates.go
		return es.buf, true
	}
	// A vector: its elements, from the list form's child or its own list.
	elems := *v
	start := at
	if p.form != formList {
		if !v.valid(r) {
			return nil, false
		}
		start, _ = v.listEntry(r)
		elems = v.child()
	}
	es.buf = append(es.buf[:0], '[')
	for j := range f.length {
		if j > 0 {
			es.buf = append(es.buf, ", "...)
		}
		if !elems.valid(start + j) {
			es.buf = append(es.buf, "NULL"...)
			continue
		}
		es.buf = appendNumber(es.buf, &elems, start+j)
	}
	es.buf = append(es.buf, ']')
	return es.buf, true
}

// floatValue returns the bits of input i's value in row r when it is a
// valid FLOAT or DOUBLE of a numeric input (valueText's cases that the
// writer caches: other types' texts are not one-to-one with a float64).
func (p *plan) floatValue(src *explainSources, i, r int) (uint64, bool) {
	f := &p.feeds[i]
	if f.kind != nn.KindNumeric {
		return 0, false
	}
	v := &src.feeds[i]
	if v.typ.id != typeFloat && v.typ.id != typeDouble {
		return 0, false
	}
	at := r
	if p.form == formList {
		off, _ := src.list.listEntry(r)
		at = off + f.pos
	}
	if !v.valid(at) {
		return 0, false
	}
	return math.Float64bits(v.num(at)), true // an input's type is the same for the whole call
}

// appendNumber appends numeric row i of v: integers and booleans as their
// text, FLOAT and DOUBLE in the shortest form that reads back the same.
func appendNumber(b []byte, v *vec, i int) []byte {
	switch v.typ.id {
	case typeFloat:
		return strconv.AppendFloat(b, v.num(i), 'g', -1, 32)
	case typeDouble, typeDecimal, typeHugeInt, typeUHugeInt:
		return strconv.AppendFloat(b, v.num(i), 'g', -1, 64)
	}
	return append(b, v.category(i)...)
}
