package sgemm

// GemmThreads is Gemm on at most threads goroutines for this one product
// (threads ≤ 0: the SetMaxThreads budget, as Gemm). A caller that already
// runs several products at once on the helpers (nn's training shards, one
// per core) passes 1 so that each product stays on its own goroutine
// instead of queueing shares for helpers that are busy. Results do not
// depend on threads.
func GemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	limit := threadLimit()
	if threads <= 0 || threads > limit {
		threads = limit
	}
	gemm(nil, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// TileWork is how many elements of C the kernel Gemm picks for an m×n
// product computes, the padding of its edge tiles included. Comparing
// TileWork(m, n) with TileWork(n, m) tells a caller that can compute Cᵀ
// instead (and transpose it, or whose C is a vector) which way wastes
// less: element for element the results are the same bits either way.
func TileWork(m, n int) int {
	k := pickKernel(m, n)
	return roundUp(m, k.mr) * roundUp(n, k.nr)
}

// KBlocks is how Gemm cuts a product's depth k: into n blocks of depth
// rows each (the last one shorter), each block's sum added to C in turn.
// A routine standing in for Gemm on some shape (a vector product) cuts k
// the same way to give the same bits.
func KBlocks(k int) (n, depth int) {
	n = (k + kcMax - 1) / kcMax
	return n, (k + n - 1) / n
}
