package udf

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/dense-ml/dense/nn"
)

// scratch is the memory one call of the function needs. Plans hand them out
// from a sync.Pool, so concurrent calls never share one and a long query
// allocates nothing per chunk once the buffers have grown.
type scratch struct {
	x    []float32 // rows × inW encoded features
	view []float32 // instead of x: the features in place in DuckDB's vector (read only)
	out  []float32 // rows × outW predictions
	null []bool    // row gives NULL
	bad  []error   // row has a value that fails the query, unless the row gives NULL
	base []int     // formList: where each row's elements start in the child vector; otherwise the row itself
	f64  []float64 // one vector input's elements, for preprocessing
	srcs []vec     // each input's source vector in this chunk
	rows []bool    // dense_predict_all: the rows' NULLs, kept while its fields mark their own
	keep []bool    // dense_predict_all: a field's NULLs
	ws   *nn.Workspace
}

func growSlice[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// run executes the plan on one chunk: read the feature vectors into the
// scratch feature matrix, one batched forward pass, write the result vector.
func (p *plan) run(in dataChunk, out vector) error {
	if p.unresolved { // DuckDB binds again with the parameters' types before running
		return fmt.Errorf("%s: the types of the ? parameters are not known; cast them, as in ?::DOUBLE", p.call)
	}
	n := chunkSize(in)
	if n == 0 {
		return nil
	}
	s := p.scratch.Get().(*scratch)
	defer func() {
		s.view = nil // DuckDB's memory: not to be kept beyond the call
		p.scratch.Put(s)
	}()
	s.x = growSlice(s.x, n*p.inW)
	s.out = growSlice(s.out, n*p.outW)
	s.null = growSlice(s.null, n)
	s.bad = growSlice(s.bad, n)
	s.base = growSlice(s.base, n)
	clear(s.null)
	clear(s.bad)

	if err := p.encode(in, n, s); err != nil {
		return err
	}
	x := s.x
	if s.view != nil {
		// NULL rows hold whatever DuckDB left there; each output row depends
		// on its own input row only, and NULL rows' outputs are not used.
		x = s.view
	} else {
		for r := range n {
			if s.null[r] { // whatever was half-written must not reach the network
				clear(s.x[r*p.inW : (r+1)*p.inW])
			}
		}
	}
	if err := p.model.PredictInto(s.out, x, n, s.ws); err != nil {
		return fmt.Errorf("%s: %w", p.call, err)
	}
	switch p.fn.kind {
	case kindPredict:
		p.writeDouble(out, n, s)
	case kindLabel:
		p.writeLabel(out, n, s)
	case kindProba:
		p.writeProba(out, n, s)
	case kindAll:
		p.writeAll(out, n, s)
	}
	return nil
}

// encode fills s.x and s.null from the chunk's feature vectors, input by
// input (column-wise loops over the rows).
func (p *plan) encode(in dataChunk, n int, s *scratch) error {
	argVec := func(i int) vec { return newVec(p.args[i], chunkVector(in, i+1)) }
	var list, strct vec
	switch p.form {
	case formList:
		list = argVec(0)
		for r := range n {
			off, length := list.listEntry(r)
			s.base[r] = off // also for a NULL row: an ARRAY's rows stay in place (zeroCopy)
			if !list.valid(r) {
				s.null[r] = true
				continue
			}
			if length != p.listLen {
				return fmt.Errorf("%s: wrong feature count: expected %d features (%s), got a list of %d",
					p.call, p.listLen, inputNames(p.model.Spec().Inputs), length)
			}
		}
		list = list.child()
		if p.direct && p.zeroCopy(&list, n, s) {
			return p.checkBad(s)
		}
		if p.direct {
			w := p.inW
			for r := range n {
				if s.null[r] {
					continue
				}
				switch list.gather32(s.x[r*w:(r+1)*w], s.base[r]) {
				case runMissing:
					s.null[r] = true
				case runInf:
					p.rowInf(s, r, p.infFeed(s.x[r*w:(r+1)*w]))
				}
			}
			return p.checkBad(s)
		}
	case formStruct:
		strct = argVec(0)
		for r := range n {
			s.base[r] = r
			if !strct.valid(r) {
				s.null[r] = true
			}
		}
	default:
		for r := range n {
			s.base[r] = r
		}
	}
	srcs := s.srcs[:0]
	for i := range p.feeds {
		f := &p.feeds[i]
		switch p.form {
		case formList:
			srcs = append(srcs, list)
		case formStruct:
			srcs = append(srcs, strct.field(f.field))
		default:
			srcs = append(srcs, argVec(f.arg))
		}
	}
	s.srcs = srcs
	if p.form != formList && p.copyBlocks(srcs, s) {
		return p.checkBad(s)
	}
	for i := range p.feeds {
		f := &p.feeds[i]
		src := srcs[i]
		var err error
		switch {
		case p.form != formList && copyable(f, &src):
			p.copyFeed(f, &src, s, 0, len(s.null))
		case f.kind == nn.KindNumeric:
			err = p.encodeNumbers(f, &src, s)
		case f.kind == nn.KindVector:
			err = p.encodeVectors(f, &src, s)
		case f.kind == nn.KindCategorical:
			err = p.encodeCategories(f, &src, s)
		}
		if err != nil {
			return err
		}
	}
	return p.checkBad(s)
}

// zeroCopy handles the list form's best case: FLOAT elements without NULLs,
// every row's list right after the previous one (always so for an ARRAY,
// for a LIST when no row is NULL). The child vector then is the feature
// matrix: it is only checked for NaN and ±Inf, not copied.
func (p *plan) zeroCopy(child *vec, n int, s *scratch) bool {
	if child.typ.id != typeFloat || child.mask != nil {
		return false
	}
	w := p.inW
	first := s.base[0]
	for r := range n {
		if s.base[r] != first+r*w {
			return false
		}
	}
	if p.args[0].id != typeArray {
		for r := range n {
			if s.null[r] { // a NULL LIST row's entry says nothing about the child's layout
				return false
			}
		}
	}
	s.view = unsafe.Slice((*float32)(unsafe.Add(child.data, first*4)), n*w)
	if allFinite(s.view) {
		return true
	}
	for r := range n {
		if s.null[r] {
			continue
		}
		row := s.view[r*w : (r+1)*w]
		if allFinite(row) {
			continue
		}
		for _, u := range row { // NaN or ±Inf: rare, so sort it out slowly
			if u != u {
				s.null[r] = true
			}
		}
		if !s.null[r] {
			p.rowInf(s, r, p.infFeed(row))
		}
	}
	return true
}

// allFinite reports whether v holds no NaN and no ±Inf, 2 floats per
// 64-bit word: a float is not finite when its exponent bits are all ones,
// and adding 1 to an all-ones exponent, and to no other, carries into the
// sign bit's position. The integer loop runs several words per cycle.
func allFinite(v []float32) bool {
	const (
		exps  = 0x7f800000_7f800000 // the exponent bits of both halves
		one   = 0x00800000_00800000 // 1 in both exponents
		carry = 0x80000000_80000000 // where an all-ones exponent + 1 lands
	)
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), len(v)/2)
	var a0, a1, a2, a3 uint64
	i := 0
	for ; i+4 <= len(words); i += 4 {
		w := words[i : i+4 : i+4]
		a0 |= w[0]&exps + one
		a1 |= w[1]&exps + one
		a2 |= w[2]&exps + one
		a3 |= w[3]&exps + one
	}
	for ; i < len(words); i++ {
		a0 |= words[i]&exps + one
	}
	if len(v)%2 == 1 {
		last := v[len(v)-1]
		if last-last != 0 {
			return false
		}
	}
	return (a0|a1|a2|a3)&carry == 0
}

// checkBad returns the first bad row's error. A bad value fails the query
// only if its row does not give NULL anyway, so the outcome does not depend
// on the order of the inputs.
func (p *plan) checkBad(s *scratch) error {
	for r, err := range s.bad {
		if err != nil && !s.null[r] {
			return err
		}
	}
	return nil
}

// infFeed finds the input whose feature in row is ±Inf (direct list form).
func (p *plan) infFeed(row []float32) *feed {
	for i := range p.feeds {
		f := &p.feeds[i]
		off := p.enc.Offset(f.input)
		for _, v := range row[off : off+f.length] {
			if v-v != 0 {
				return f
			}
		}
	}
	return &p.feeds[0]
}

// rowErr records an encoder error for row r: a missing value (NULL, NaN)
// makes the row NULL; anything else is the row's error.
func (p *plan) rowErr(s *scratch, r int, err error) {
	switch {
	case errors.Is(err, nn.ErrMissing):
		s.null[r] = true
	case s.bad[r] == nil:
		s.bad[r] = fmt.Errorf("%s: %w", p.call, err) // *nn.InputError: no prefix to strip
	}
}

func (p *plan) rowInf(s *scratch, r int, f *feed) {
	p.rowErr(s, r, &nn.InputError{Input: f.name, Element: -1, Err: fmt.Errorf("%w (or beyond float32's range)", nn.ErrNotFinite)})
}

// copyable reports whether input f's values can be copied by copyColumn: a
// number without preprocessing from a NULL-free FLOAT, DOUBLE, INTEGER or
// BIGINT column (not the list form: src must be aligned with the rows).
func copyable(f *feed, src *vec) bool {
	if f.kind != nn.KindNumeric || !f.pass || src.mask != nil {
		return false
	}
	switch src.typ.id {
	case typeFloat, typeDouble, typeInteger, typeBigInt:
		return true
	}
	return false
}

// copyFeed copies rows lo…hi-1 of a copyable input's column into the
// feature matrix.
func (p *plan) copyFeed(f *feed, src *vec, s *scratch, lo, hi int) {
	n, w, off := len(s.null), p.inW, p.enc.Offset(f.input)
	fail := func(r int) { p.rowInf(s, r, f) }
	switch src.typ.id {
	case typeFloat:
		copyColumn(s, unsafe.Slice((*float32)(src.data), n), lo, hi, w, off, fail)
	case typeDouble:
		copyColumn(s, unsafe.Slice((*float64)(src.data), n), lo, hi, w, off, fail)
	case typeInteger:
		copyColumn(s, unsafe.Slice((*int32)(src.data), n), lo, hi, w, off, fail)
	case typeBigInt:
		copyColumn(s, unsafe.Slice((*int64)(src.data), n), lo, hi, w, off, fail)
	}
}

// copyBlocks handles the columns' best case: every input copyable. The
// columns are copied block by block of rows, so that the block of the
// row-major feature matrix being filled stays in the L1 cache while every
// column writes into it. It reports false, having done nothing, otherwise;
// encode then copies the copyable inputs' columns one at a time.
func (p *plan) copyBlocks(srcs []vec, s *scratch) bool {
	for i := range p.feeds {
		if !copyable(&p.feeds[i], &srcs[i]) {
			return false
		}
	}
	const block = 128
	n := len(s.null)
	for lo := 0; lo < n; lo += block {
		hi := min(lo+block, n)
		for i := range p.feeds {
			p.copyFeed(&p.feeds[i], &srcs[i], s, lo, hi)
		}
	}
	return true
}

func (p *plan) encodeNumbers(f *feed, src *vec, s *scratch) error {
	w, off := p.inW, p.enc.Offset(f.input)
	for r, b := range s.base[:len(s.null)] {
		if s.null[r] {
			continue
		}
		i := b + f.pos
		valid := src.valid(i)
		v := 0.0
		if valid {
			v = src.num(i)
		}
		if f.pass {
			switch {
			case !valid || v != v:
				s.null[r] = true
			case v-v != 0 || float32(v)-float32(v) != 0:
				p.rowInf(s, r, f)
			default:
				s.x[r*w+off] = float32(v)
			}
			continue
		}
		if err := p.enc.Number(f.input, v, valid, s.x[r*w:(r+1)*w]); err != nil {
			p.rowErr(s, r, err)
		}
	}
	return nil
}

// copyColumn copies rows lo…hi-1 of a NULL-free column into the feature
// matrix at column off; NaN makes the row NULL, ±Inf (or a DOUBLE beyond
// float32's range) calls fail.
func copyColumn[T float32 | float64 | int32 | int64](s *scratch, col []T, lo, hi, w, off int, fail func(r int)) {
	col = col[lo:hi]
	null := s.null[lo:hi]
	null = null[:len(col)] // same length as col: no bounds checks on null[i]
	x := s.x[lo*w+off:]
	for i, v := range col {
		if null[i] { // NULL already (another input, a NULL STRUCT): nothing to check
			continue
		}
		f := float32(v)
		if f-f != 0 { // NaN or ±Inf
			if f != f {
				null[i] = true
			} else {
				fail(lo + i)
			}
			continue
		}
		x[i*w] = f
	}
}

func (p *plan) encodeVectors(f *feed, src *vec, s *scratch) error {
	w, off := p.inW, p.enc.Offset(f.input)
	elems := *src // formList: the list's child vector already
	if p.form != formList {
		if src.typ.id == typeSQLNull {
			for r := range s.null {
				s.null[r] = true
			}
			return nil
		}
		elems = src.child()
	}
	if !f.pass {
		s.f64 = growSlice(s.f64, f.length)
	}
	for r := range s.null {
		if s.null[r] {
			continue
		}
		start := s.base[r] + f.pos
		if p.form != formList {
			if !src.valid(r) {
				s.null[r] = true
				continue
			}
			o, length := src.listEntry(r)
			if length != f.length {
				return fmt.Errorf("%s: wrong feature count for input %q: expected %d elements, got a list of %d",
					p.call, f.name, f.length, length)
			}
			start = o
		}
		row := s.x[r*w : (r+1)*w]
		if f.pass {
			switch elems.gather32(row[off:off+f.length], start) {
			case runMissing:
				s.null[r] = true
			case runInf:
				p.rowInf(s, r, f)
			}
			continue
		}
		elems.gather64(s.f64, start)
		if err := p.enc.Vector(f.input, s.f64, row); err != nil {
			p.rowErr(s, r, err)
		}
	}
	return nil
}

func (p *plan) encodeCategories(f *feed, src *vec, s *scratch) error {
	w := p.inW
	for r := range s.null {
		if s.null[r] {
			continue
		}
		valid := src.valid(r)
		str := ""
		if valid {
			str = src.category(r)
		}
		if err := p.enc.Category(f.input, str, valid, s.x[r*w:(r+1)*w]); err != nil {
			p.rowErr(s, r, err)
		}
	}
	return nil
}

// setValidity marks the NULL rows of a result vector (and every other row
// valid, in case DuckDB hands over a reused vector).
func setValidity(out vector, null []bool) {
	anyNull := false
	for _, b := range null {
		anyNull = anyNull || b
	}
	mask := vectorValidity(out)
	if !anyNull && mask == nil {
		return
	}
	if mask == nil {
		vectorEnsureValidityWritable(out)
		mask = vectorValidity(out)
	}
	words := unsafe.Slice((*uint64)(mask), (len(null)+63)/64)
	for r, b := range null {
		bit := uint64(1) << (uint(r) & 63)
		if b {
			words[r>>6] &^= bit
		} else {
			words[r>>6] |= bit
		}
	}
}

func (p *plan) writeDouble(out vector, n int, s *scratch) {
	res := unsafe.Slice((*float64)(vectorData(out)), n)
	for r := range n {
		res[r] = float64(s.out[r*p.outW])
	}
	setValidity(out, s.null)
}

func (p *plan) writeLabel(out vector, n int, s *scratch) {
	res := unsafe.Slice((*[16]byte)(vectorData(out)), n)
	for r := range n {
		if s.null[r] {
			continue
		}
		// nn's rule (threshold, argmax, a NaN output predicts no class: NULL).
		class, ok := p.spec.Classify(s.out[r*p.outW : (r+1)*p.outW])
		if !ok {
			s.null[r] = true
			continue
		}
		label := p.labels[class]
		if len(label) <= 12 {
			// An inlined duckdb_string_t: length, then the bytes, zero padded.
			res[r] = [16]byte{}
			*(*uint32)(unsafe.Pointer(&res[r][0])) = uint32(len(label))
			copy(res[r][4:], label)
			continue
		}
		assignString(out, r, label)
	}
	setValidity(out, s.null)
}

// writeProba writes FLOAT[] rows: the output vector, and for a binary model
// [P(label 0), P(label 1)].
func (p *plan) writeProba(out vector, n int, s *scratch) {
	k := p.outW
	if p.binary {
		k = 2
	}
	base := listVectorSize(out)
	total := base + n*k
	listVectorReserve(out, total)
	listVectorSetSize(out, total)
	child := listVectorChild(out)
	vals := unsafe.Slice((*float32)(vectorData(child)), total)
	entries := unsafe.Slice((*[2]uint64)(vectorData(out)), n)
	for r := range n {
		o := base + r*k
		entries[r] = [2]uint64{uint64(o), uint64(k)}
		y := s.out[r*p.outW : (r+1)*p.outW]
		if p.binary {
			vals[o], vals[o+1] = 1-y[0], y[0]
		} else {
			copy(vals[o:o+k], y)
		}
	}
	setValidity(out, s.null)
}

// writeAll writes dense_predict_all's STRUCT rows with the writers of the
// three other functions, so its fields are their numbers: label
// (dense_predict_label), probabilities (dense_predict_proba), prediction
// (dense_predict: a regression model's value, a binary model's P(label 1)),
// and probability, the predicted label's probability. Fields that do not
// apply to the task are NULL (label, probability and probabilities for
// regression, prediction for multiclass), and so are label and probability
// when the output is NaN (no class predicted). A NULL row is a NULL STRUCT.
func (p *plan) writeAll(out vector, n int, s *scratch) {
	s.rows = growSlice(s.rows, n)
	s.keep = growSlice(s.keep, n)
	copy(s.rows, s.null)
	allNull := func(v vector) {
		for r := range n {
			s.keep[r] = true
		}
		setValidity(v, s.keep)
	}
	labelV, probV, probsV, predV := structVectorChild(out, 0), structVectorChild(out, 1), structVectorChild(out, 2), structVectorChild(out, 3)
	if p.spec.Task == nn.TaskMulticlass {
		allNull(predV)
	} else {
		p.writeDouble(predV, n, s)
	}
	if p.spec.Task == nn.TaskRegression {
		entries := unsafe.Slice((*[2]uint64)(vectorData(probsV)), n)
		clear(entries)
		allNull(probsV)
		allNull(labelV)
		allNull(probV)
	} else {
		p.writeProba(probsV, n, s)
		prob := unsafe.Slice((*float64)(vectorData(probV)), n)
		for r := range n {
			s.keep[r] = s.rows[r]
			if s.rows[r] {
				continue
			}
			y := s.out[r*p.outW : (r+1)*p.outW]
			class, ok := p.spec.Classify(y)
			switch {
			case !ok:
				s.keep[r] = true
			case p.binary && class == 0:
				prob[r] = float64(1 - y[0])
			case p.binary:
				prob[r] = float64(y[0])
			default:
				prob[r] = float64(y[class])
			}
		}
		setValidity(probV, s.keep)
		p.writeLabel(labelV, n, s) // marks NaN rows NULL in s.null
	}
	copy(s.null, s.rows)
	setValidity(out, s.rows)
}
