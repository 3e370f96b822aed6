package udf

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/udf/internal/floats"
)

// scratch is the memory one call of the function needs. Plans hand them out
// from a sync.Pool, so concurrent calls never share one and a long query
// allocates nothing per chunk once the buffers have grown.
type scratch struct {
	x        []float32         // rows × inW encoded features
	view     []float32         // instead of x: the features in place in DuckDB's vector (read only)
	out      []float32         // rows × outW predictions
	null     []bool            // row gives NULL
	bad      []error           // row has a value that fails the query, unless the row gives NULL
	base     []int             // formList: where each row's elements start in the child vector; otherwise the row itself
	f64      []float64         // a numeric input's column, or one vector input's elements, for preprocessing
	codes    []nn.CategoryCode // a categorical input's codes
	copyable []int             // the inputs copyBlocks copies
	short    []*shortCodes     // per input: its short VARCHARs' codes, kept from chunk to chunk
	srcs     []vec             // each input's source vector in this chunk
	checked  bool              // the features are known to be within the encoding's limits
	cols     [][]float32       // instead of x: the feature columns (see columns); colsBuf or nil
	colsBuf  [][]float32       // the feature columns, some in DuckDB's memory (cleared after the call)
	colBuf   [][]float32       // per input: its column converted to float32 (not a FLOAT column)
	rows     []bool            // dense_predict_all: the rows' NULLs, kept while its fields mark their own
	keep     []bool            // dense_predict_all: a field's NULLs
	ws       *nn.Workspace
}

func growSlice[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// encoding is one way to turn a chunk's values into the feature rows of a
// network. fast is the folded nn.Scorer's: where an input's scaling is
// folded into the first layer its raw values are the features (copied, or
// read in place). exact is the model's own encoding and network: run for a
// chunk the fast one refuses (a ±Inf, a value beyond float32's range, a
// list of the wrong length …), so errors, and the rare value only the
// unfolded arithmetic can represent, are exactly the model's. When nothing
// is folded both are the same.
type encoding struct {
	enc    *nn.Encoder
	net    *nn.Model
	scorer *nn.Scorer // fast: runs net, faster (nil: net.PredictInto)
	pass   []bool     // per input: no preprocessing, the raw values are the features
	direct bool       // formList, every input passes: a list is exactly a feature row (formStruct: the one input, a vector, is the row)
	limits []float32  // fast: per input, nn.Scorer.Limit rounded down to a float32 (MaxFloat32: none)
	limit  bool       // some input has a limit
}

func newEncoding(enc *nn.Encoder, net *nn.Model, p *plan, limit func(i int) float64) *encoding {
	e := &encoding{enc: enc, net: net, pass: make([]bool, len(p.feeds)), limits: make([]float32, len(p.feeds))}
	e.direct = p.form == formList && p.listLen == p.inW ||
		p.form == formStruct && len(p.feeds) == 1 && p.feeds[0].kind == nn.KindVector && p.feeds[0].length == p.inW
	for i := range p.feeds {
		e.pass[i] = enc.Passthrough(i)
		e.direct = e.direct && e.pass[i]
		e.limits[i] = math.MaxFloat32
		if lim := limit(i); lim < math.MaxFloat32 {
			l := float32(lim)
			if float64(l) > lim {
				l = math.Nextafter32(l, 0)
			}
			e.limits[i], e.limit = l, true
		}
	}
	return e
}

// errBeyondLimit is the fast encoding's refusal of a chunk with a feature
// beyond its limit: run encodes the chunk with the exact one.
var errBeyondLimit = errors.New("udf: a feature beyond the folded encoding's limit")

// withinLimits reports whether the non-NULL rows' features are within the
// encoding's limits: beyond them the model's own encoding may refuse the
// value (the one rule for values too large for float32), so the chunk goes
// to the exact encoding.
func (p *plan) withinLimits(e *encoding, s *scratch) bool {
	if !e.limit || s.checked {
		return true
	}
	x, w := s.x, p.inW
	if s.view != nil {
		x = s.view
	}
	for i := range p.feeds {
		lim := e.limits[i]
		if lim == math.MaxFloat32 {
			continue
		}
		off, length := e.enc.Offset(i), p.feeds[i].length
		if length == w && allBelow(x[:len(s.null)*w], lim) { // one input is the whole row: one quick pass
			continue
		}
		for r, null := range s.null {
			if null {
				continue
			}
			for _, v := range x[r*w+off : r*w+off+length] {
				if v > lim || v < -lim {
					return false
				}
			}
		}
	}
	return true
}

// compile builds the plan's encodings once the feeds are bound: the folded
// Scorer's and the model's own.
func (p *plan) compile() error {
	scorer, err := nn.NewScorer(p.model)
	if err != nil {
		return fmt.Errorf("%s: %w", p.call, err)
	}
	p.exact = newEncoding(p.enc, p.model, p, func(int) float64 { return math.Inf(1) })
	p.fast = p.exact
	if scorer.Model() != p.model {
		p.fast = newEncoding(scorer.Encoder(), scorer.Model(), p, scorer.Limit)
	}
	// The scorer's network is fast's (folded, or the model itself when
	// nothing folds), prepared for scoring: the same bits, faster.
	p.fast.scorer = scorer
	for i := range p.feeds {
		p.feeds[i].compileCategories(p)
	}
	return nil
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
		clear(s.colsBuf)
		p.scratch.Put(s)
	}()
	s.x = growSlice(s.x, n*p.inW)
	s.out = growSlice(s.out, n*p.outW)
	s.null = growSlice(s.null, n)
	s.bad = growSlice(s.bad, n)
	s.base = growSlice(s.base, n)

	e := p.fast
	if p.fn.kind == kindExplain {
		e = p.exact // the explainer differentiates the model's own network
	}
	err := p.encode(e, in, n, s)
	if err != nil && p.fast != p.exact {
		e = p.exact
		err = p.encode(e, in, n, s)
	}
	if err != nil {
		return err
	}
	x := s.x
	switch {
	case s.cols != nil:
		x = nil // the columns, read by the network where they are
	case s.view != nil:
		// NULL rows hold whatever DuckDB left there; each output row depends
		// on its own input row only, and NULL rows' outputs are not used.
		x = s.view
	default:
		for r := range n {
			if s.null[r] { // whatever was half-written must not reach the network
				clear(s.x[r*p.inW : (r+1)*p.inW])
			}
		}
	}
	if p.fn.kind == kindExplain {
		return p.writeExplain(in, out, x, n, s)
	}
	switch {
	case s.cols != nil:
		err = e.scorer.PredictColumns(s.out, s.cols, n, s.ws)
	case e.scorer != nil:
		err = e.scorer.PredictInto(s.out, x, n, s.ws)
	default:
		err = e.net.PredictInto(s.out, x, n, s.ws)
	}
	if err != nil {
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

// encode fills s.x (or s.view) and s.null from the chunk's feature vectors
// with encoding e, input by input (column-wise loops over the rows).
func (p *plan) encode(e *encoding, in dataChunk, n int, s *scratch) error {
	if err := p.encodeChunk(e, in, n, s); err != nil {
		return err
	}
	if !p.withinLimits(e, s) {
		return errBeyondLimit
	}
	return nil
}

func (p *plan) encodeChunk(e *encoding, in dataChunk, n int, s *scratch) error {
	s.view, s.checked, s.cols = nil, false, nil
	clear(s.null)
	clear(s.bad)
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
		if e.direct && p.zeroCopy(e, &list, n, s, p.args[0].id == typeArray) {
			return p.checkBad(s)
		}
		if e.direct {
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
		if e.direct && p.structInPlace(e, &strct, n, s) {
			return p.checkBad(s)
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
	if p.form != formList && e.scorer != nil && p.fn.kind != kindExplain && p.columns(e, srcs, s) {
		return p.checkBad(s)
	}
	if p.form != formList && p.copyBlocks(e, srcs, s) {
		return p.checkBad(s)
	}
	for i := range p.feeds {
		if err := p.encodeInput(e, &p.feeds[i], &srcs[i], s); err != nil {
			return err
		}
	}
	return p.checkBad(s)
}

// encodeInput writes input f's features of every row of the chunk from its
// source vector src (for the list form, the list's child vector). This is
// the one dispatch on the kind of input: a new kind adds its case here and
// its encoder, a column loop over the rows like the others.
func (p *plan) encodeInput(e *encoding, f *feed, src *vec, s *scratch) error {
	switch {
	case p.form != formList && e.copyable(f, src):
		return nil // copied by copyBlocks
	case f.kind == nn.KindNumeric:
		return p.encodeNumbers(e, f, src, s)
	case f.kind == nn.KindVector:
		return p.encodeVectors(e, f, src, s)
	case f.kind == nn.KindCategorical && f.codes:
		return p.encodeCodes(e, f, src, s) // dates.go
	case f.kind == nn.KindCategorical:
		return p.encodeCategories(e, f, src, s)
	case f.kind == nn.KindDate:
		return p.encodeDates(e, f, src, s) // dates.go
	}
	return fmt.Errorf("%s: input %q: no encoder for kind %q", p.call, f.name, f.kind)
}

// structInPlace is zeroCopy for the STRUCT form of a model whose one input
// is a vector without preprocessing as wide as the row (a FLOAT[784]
// field): the field's child vector is the feature matrix. It reports
// false, changing nothing the general path reads, when the field's lists
// are not laid out for it or one has the wrong length (the general path
// then reports it).
func (p *plan) structInPlace(e *encoding, strct *vec, n int, s *scratch) bool {
	f := &p.feeds[0]
	fv := strct.field(f.field)
	if fv.typ.id != typeArray && fv.typ.id != typeList {
		return false
	}
	for r := range n {
		if s.null[r] || !fv.valid(r) {
			continue
		}
		if _, length := fv.listEntry(r); length != f.length {
			return false
		}
	}
	for r := range n {
		s.base[r], _ = fv.listEntry(r)
	}
	child := fv.child()
	nulls := s.null
	if fv.mask != nil {
		s.keep = growSlice(s.keep, n) // the rows NULL before: restored if the layout does not fit
		copy(s.keep, s.null)
		for r := range n {
			if !fv.valid(r) {
				s.null[r] = true
			}
		}
		nulls = s.keep
	}
	if p.zeroCopy(e, &child, n, s, fv.typ.id == typeArray) {
		return true
	}
	copy(s.null, nulls)
	for r := range n {
		s.base[r] = r
	}
	return false
}

// zeroCopy handles the list form's best case: FLOAT elements without NULLs,
// every row's list right after the previous one (always so for an ARRAY,
// for a LIST when no row is NULL). The child vector then is the feature
// matrix: it is only checked for NaN and ±Inf, not copied (and, in the
// same pass, for the limit of the encoding's one input when it has one).
func (p *plan) zeroCopy(e *encoding, child *vec, n int, s *scratch, array bool) bool {
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
	if !array {
		for r := range n {
			if s.null[r] { // a NULL LIST row's entry says nothing about the child's layout
				return false
			}
		}
	}
	s.view = unsafe.Slice((*float32)(unsafe.Add(child.data, first*4)), n*w)
	if len(p.feeds) == 1 && e.limits[0] < math.MaxFloat32 {
		if allBelow(s.view, e.limits[0]) {
			s.checked = true // withinLimits has nothing left to check
			return true
		}
	} else if allFinite(s.view) {
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

// allFinite reports whether v holds no NaN and no ±Inf: a float is not
// finite when its exponent bits are all ones.
func allFinite(v []float32) bool { return allExponentsBelow(v, 255) }

// allBelow reports whether every value of v is within ±lim (quickly, and
// conservatively: false may also mean that a value is near lim).
func allBelow(v []float32, lim float32) bool {
	_, k := math.Frexp(float64(lim)) // 2^(k-1) ≤ lim: values with a biased exponent ≤ k+125 are below it
	if k+126 < 1 {
		return false
	}
	return allExponentsBelow(v, uint64(min(k+126, 255)))
}

// allExponentsBelow reports whether every value of v has a biased exponent
// below e (1 ≤ e ≤ 255), 2 floats per 64-bit word: adding 256−e to the
// exponent field carries into the sign bit's position exactly when the
// exponent is e or more. The integer loop runs several words per cycle.
func allExponentsBelow(v []float32, e uint64) bool {
	done, ok := floats.ExponentsBelowPrefix(v, e) // a multiple of 64 floats, 16 per instruction where there is AVX-512
	if !ok {
		return false
	}
	v = v[done:]
	const (
		exps  = 0x7f800000_7f800000 // the exponent bits of both halves
		carry = 0x80000000_80000000 // where the carry lands
	)
	d := (256 - e) << 23
	one := d | d<<32
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
	if len(v)%2 == 1 && uint64(math.Float32bits(v[len(v)-1])>>23&0xff) >= e {
		return false
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
func (e *encoding) copyable(f *feed, src *vec) bool {
	if f.kind != nn.KindNumeric || !e.pass[f.input] || src.mask != nil {
		return false
	}
	switch src.typ.id {
	case typeFloat, typeDouble, typeInteger, typeBigInt:
		return true
	}
	return false
}

// columns handles the best case of the columns and STRUCT forms, the
// models `dense train` writes: every input a number whose present values
// encode as float32(v − shift) (nn.Encoder.ColumnShift: its scaling folded
// into the network, at most a shift left; imputation, which a NULL-free
// column never needs) from a NULL-free FLOAT, DOUBLE, INTEGER or BIGINT
// column, every feature finite and within the encoding's limits. The
// network then reads the FLOAT columns without a shift where they are and
// the others encoded column by column (nn.Scorer.PredictColumns): no
// row-major copy of the features. It reports false, having set nothing the
// general path reads, otherwise (the general path then sorts out NaN,
// ±Inf, imputation and the limits row by row). Rows of a NULL STRUCT are
// scored from whatever their fields hold, like the in-place list form's:
// their outputs are not used.
func (p *plan) columns(e *encoding, srcs []vec, s *scratch) bool {
	for i := range p.feeds {
		f, src := &p.feeds[i], &srcs[i]
		if f.kind == nn.KindCategorical && !f.codes {
			continue // one-hot columns (below)
		}
		if _, ok := e.enc.ColumnShift(f.input); !ok || f.kind != nn.KindNumeric || src.mask != nil {
			return false
		}
		switch src.typ.id {
		case typeFloat, typeDouble, typeInteger, typeBigInt:
		default:
			return false
		}
	}
	n := len(s.null)
	s.colsBuf = growSlice(s.colsBuf, p.inW)
	cols := s.colsBuf
	if len(s.colBuf) < p.inW {
		s.colBuf = make([][]float32, p.inW) // per feature
	}
	for i := range p.feeds {
		f, src := &p.feeds[i], &srcs[i]
		if f.kind == nn.KindCategorical {
			continue
		}
		off := e.enc.Offset(f.input)
		var col []float32
		shift, _ := e.enc.ColumnShift(f.input)
		if src.typ.id == typeFloat && shift == 0 {
			col = unsafe.Slice((*float32)(src.data), n)
		} else {
			s.colBuf[off] = growSlice(s.colBuf[off], n)
			col = s.colBuf[off]
			switch src.typ.id {
			case typeFloat:
				f32 := unsafe.Slice((*float32)(src.data), n)
				done := floats.ShiftPrefix(col, f32, shift) // 16 at a time, the same bits
				shiftColumn(col[done:], f32[done:], shift)
			case typeDouble:
				shiftColumn(col, unsafe.Slice((*float64)(src.data), n), shift)
			case typeInteger:
				shiftColumn(col, unsafe.Slice((*int32)(src.data), n), shift)
			case typeBigInt:
				shiftColumn(col, unsafe.Slice((*int64)(src.data), n), shift)
			}
		}
		if lim := e.limits[f.input]; lim < math.MaxFloat32 {
			if !allBelow(col, lim) {
				return false
			}
		} else if !allFinite(col) {
			return false
		}
		cols[off] = col
	}
	// Every number is in: from here on the chunk is scored this way, and
	// the categories' lookups record their rows' errors as the general
	// path would.
	for i := range p.feeds {
		f := &p.feeds[i]
		if f.kind != nn.KindCategorical {
			continue
		}
		off, w := e.enc.Offset(f.input), e.enc.Inputs()[f.input].Width()
		for j := off; j < off+w; j++ {
			s.colBuf[j] = growSlice(s.colBuf[j], n)
			cols[j] = s.colBuf[j]
		}
		e.enc.OneHotColumns(f.input, p.categoryCodes(e, f, &srcs[i], s), cols[off:off+w])
	}
	s.cols, s.checked = cols, true
	return true
}

// shiftColumn encodes a column as float32(v − shift), the subtraction in
// float64 as nn's encoding does it (a value beyond float32's range becomes
// ±Inf, which columns then refuses).
func shiftColumn[T float32 | float64 | int32 | int64](dst []float32, col []T, shift float64) {
	dst = dst[:len(col)]
	for i, v := range col {
		dst[i] = float32(float64(v) - shift)
	}
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

// copyBlocks copies the copyable inputs' columns (the columns' best case:
// often every input) block by block of rows, so that the block of the
// row-major feature matrix being filled stays in the L1 cache while every
// column writes into it. It reports whether every input was copyable.
func (p *plan) copyBlocks(e *encoding, srcs []vec, s *scratch) bool {
	copyable := s.copyable[:0]
	for i := range p.feeds {
		if e.copyable(&p.feeds[i], &srcs[i]) {
			copyable = append(copyable, i)
		}
	}
	s.copyable = copyable
	const block = 128
	n := len(s.null)
	for lo := 0; lo < n && len(copyable) > 0; lo += block {
		hi := min(lo+block, n)
		for _, i := range copyable {
			p.copyFeed(&p.feeds[i], &srcs[i], s, lo, hi)
		}
	}
	return len(copyable) == len(p.feeds)
}

// copyColumn copies rows lo…hi-1 of a NULL-free column into the feature
// matrix at column off; NaN makes the row NULL, ±Inf (or a DOUBLE beyond
// float32's range) calls fail, unless the row is NULL already (another
// input, a NULL STRUCT). Rows that are NULL already are copied too: their
// features are cleared before the forward pass.
func copyColumn[T float32 | float64 | int32 | int64](s *scratch, col []T, lo, hi, w, off int, fail func(r int)) {
	col = col[lo:hi]
	x := s.x[lo*w+off:]
	for i := 0; i < len(col); i++ {
		i += copyFinite(col[i:], x[i*w:], w)
		if i == len(col) {
			return
		}
		switch { // col[i] is not finite as a float32: rare
		case s.null[lo+i]:
		case float32(col[i]) != float32(col[i]):
			s.null[lo+i] = true
		default:
			fail(lo + i)
		}
	}
}

// copyFinite copies col into x[0], x[w], … up to its first value that is
// not finite as a float32, and returns how many it copied.
func copyFinite[T float32 | float64 | int32 | int64](col []T, x []float32, w int) int {
	for i, v := range col {
		f := float32(v)
		if f-f != 0 { // NaN or ±Inf
			return i
		}
		x[i*w] = f
	}
	return len(col)
}

// encodeNumbers encodes a numeric input column by column: its values are
// converted to float64 in one loop (NaN for NULL), then encoded by
// nn.Encoder.Numbers in another. An input without preprocessing (whose
// column has NULLs, or is of another type than copyColumn's) is copied,
// with the copy's errors.
func (p *plan) encodeNumbers(e *encoding, f *feed, src *vec, s *scratch) error {
	n := len(s.null)
	s.f64 = growSlice(s.f64, n)
	base := s.base[:n]
	if p.form != formList {
		base = nil // the rows themselves
	}
	src.numbers(s.f64, base, f.pos)
	w := p.inW
	if e.pass[f.input] {
		off := e.enc.Offset(f.input)
		for r, v := range s.f64 {
			if s.null[r] {
				continue
			}
			switch u := float32(v); {
			case v != v:
				s.null[r] = true
			case u-u != 0:
				p.rowInf(s, r, f)
			default:
				s.x[r*w+off] = u
			}
		}
		return nil
	}
	e.enc.Numbers(f.input, s.f64, s.x, w, func(r int, err error) { p.rowErr(s, r, err) })
	return nil
}

func (p *plan) encodeVectors(e *encoding, f *feed, src *vec, s *scratch) error {
	w, off := p.inW, e.enc.Offset(f.input)
	pass := e.pass[f.input]
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
	if !pass {
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
		if pass {
			switch elems.gather32(row[off:off+f.length], start) {
			case runMissing:
				s.null[r] = true
			case runInf:
				p.rowInf(s, r, f)
			}
			continue
		}
		elems.gather64(s.f64, start)
		if err := e.enc.Vector(f.input, s.f64, row); err != nil {
			p.rowErr(s, r, err)
		}
	}
	return nil
}

// compileCategories looks up, once at bind, the category code of every
// value of an ENUM source (its dictionary) and of NULL.
func (f *feed) compileCategories(p *plan) {
	if f.kind != nn.KindCategorical {
		return
	}
	f.nullCode, f.nullErr = p.enc.CategoryCode(f.input, "", false)
	t := p.feedType(f)
	if t == nil || t.id != typeEnum {
		return
	}
	f.enumCodes = make([]nn.CategoryCode, len(t.enum))
	f.enumErrs = make([]error, len(t.enum))
	for j, v := range t.enum {
		f.enumCodes[j], f.enumErrs[j] = p.enc.CategoryCode(f.input, v, true)
	}
}

// feedType is the SQL type of input f's source (nil for the list form).
func (p *plan) feedType(f *feed) *colType {
	switch p.form {
	case formColumns:
		return p.args[f.arg]
	case formStruct:
		return p.args[0].fields[f.field].typ
	}
	return nil
}

// encodeCategories looks up each row's category code, then writes the
// one-hot blocks in one loop (nn.Encoder.OneHots). An ENUM's codes were
// looked up at bind; a short VARCHAR (≤ 12 bytes) is looked up in the
// scratch's cache of short strings (shortCodes) before the encoder's map,
// and a row the cache does not hold equal to the one before it (the same
// 16 bytes of duckdb_string_t) reuses its code (varcharCodes).
func (p *plan) encodeCategories(e *encoding, f *feed, src *vec, s *scratch) error {
	e.enc.OneHots(f.input, p.categoryCodes(e, f, src, s), s.x, p.inW)
	return nil
}

// categoryCodes is encodeCategories' lookup: each row's category code in
// s.codes (nn.SkipRow for a NULL row or one that fails).
func (p *plan) categoryCodes(e *encoding, f *feed, src *vec, s *scratch) []nn.CategoryCode {
	n := len(s.null)
	s.codes = growSlice(s.codes, n)
	codes := s.codes
	fail := func(r int, err error) {
		codes[r] = nn.SkipRow
		p.rowErr(s, r, err)
	}
	if src.typ.id == typeVarchar {
		p.varcharCodes(e, f, src, s, codes, fail)
		return codes
	}
	for r := range n {
		codes[r] = nn.SkipRow
		if s.null[r] {
			continue
		}
		if !src.valid(r) {
			if f.nullErr != nil {
				fail(r, f.nullErr)
				continue
			}
			codes[r] = f.nullCode
			continue
		}
		switch src.typ.id {
		case typeEnum:
			k := int(intAt(src.typ.phys, src.data, r))
			if err := f.enumErrs[k]; err != nil {
				fail(r, err)
				continue
			}
			codes[r] = f.enumCodes[k]
		default:
			code, err := e.enc.CategoryCode(f.input, src.category(r), true)
			if err != nil {
				fail(r, err)
				continue
			}
			codes[r] = code
		}
	}
	return codes
}

// varcharCodes is categoryCodes for a VARCHAR column. A short string (≤ 12
// bytes, inlined in its 16-byte duckdb_string_t) is looked up in the
// scratch's cache first; a row the cache does not hold (a long string, or a
// short one when the cache is full) equal to the last such row before it
// (the same 16 bytes: length, prefix and pointer) reuses its code, the
// others go to the encoder's map. (Comparing every row with the one before
// it first, as before, cost ~7 ns a row in shuffled data: the branch
// mispredicts.)
func (p *plan) varcharCodes(e *encoding, f *feed, src *vec, s *scratch, codes []nn.CategoryCode, fail func(int, error)) {
	cache := p.shortCache(f, src, s)
	var last [2]uint64
	lastCode, haveLast := nn.SkipRow, false
	for r := range codes {
		codes[r] = nn.SkipRow
		if s.null[r] {
			continue
		}
		if src.mask != nil && !src.valid(r) {
			if f.nullErr != nil {
				fail(r, f.nullErr)
				continue
			}
			codes[r] = f.nullCode
			continue
		}
		raw := *(*[2]uint64)(unsafe.Add(src.data, r*16))
		short := uint32(raw[0]) <= 12 // the length, then the inlined bytes
		if short {
			if code, ok := cache.get(raw); ok {
				codes[r] = code
				continue
			}
		}
		if haveLast && raw == last {
			codes[r] = lastCode
			continue
		}
		code, err := e.enc.CategoryCode(f.input, src.str(r), true)
		if err != nil {
			fail(r, err)
			haveLast = false
			continue
		}
		if short {
			cache.put(raw, code)
		}
		codes[r], last, lastCode, haveLast = code, raw, code, true
	}
}

// shortCache returns the scratch's cache of short strings for input f, made
// on first use when src is VARCHAR (nil for another type).
func (p *plan) shortCache(f *feed, src *vec, s *scratch) *shortCodes {
	if s.short == nil {
		s.short = make([]*shortCodes, len(p.feeds))
	}
	cache := s.short[f.input]
	if cache == nil && src.typ.id == typeVarchar {
		cache = new(shortCodes)
		s.short[f.input] = cache
	}
	return cache
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
