package tabular

import "github.com/dense-ml/dense/internal/arrowtest"

// The column builders are internal/arrowtest's, shared with pipeline's tests.
type col = arrowtest.Col

var (
	checkedMem = arrowtest.CheckedMem
	mkF64      = arrowtest.F64
	mkI64      = arrowtest.I64
	mkBool     = arrowtest.Bool
	mkStr      = arrowtest.Str
	mkVec      = arrowtest.Vec
	mkList     = arrowtest.List
	mkBatch    = arrowtest.Batch
)
