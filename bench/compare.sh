#!/usr/bin/env bash
# compare.sh: run dense's benchmarks and the same workloads in numpy/PyTorch
# on this machine, one after the other, and print a table of the ratios.
#
#   bench/compare.sh              # full run, about 5 minutes on 2 cores
#   QUICK=1 bench/compare.sh      # smaller row counts, about a minute
#   DENSE=/path/to/dense bench/compare.sh   # use a built binary
#
# Needs Go, and Debian's python3-numpy and python3-torch for /usr/bin/python3;
# libopenblas0-pthread makes numpy (and PyTorch's BLAS calls) use OpenBLAS
# instead of the reference BLAS, and python3-threadpoolctl lets the script
# report which BLAS kernel runs. Both sides use 2 threads. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-2}
if [ -n "${QUICK:-}" ]; then
	MNIST_ROWS=20000 SMALL_ROWS=100000 SQL_BIG_ROWS=20000 SQL_SMALL_ROWS=200000 EPOCHS=1 GEMM_SECONDS=1
else
	MNIST_ROWS=60000 SMALL_ROWS=200000 SQL_BIG_ROWS=100000 SQL_SMALL_ROWS=1000000 EPOCHS=2 GEMM_SECONDS=3
fi

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -z "${DENSE:-}" ]; then
	DENSE=$(mktemp -d)/dense
	echo "building dense → $DENSE" >&2
	go build -o "$DENSE" ./cmd/dense
fi
if ! "$DENSE" bench --help >/dev/null 2>&1; then
	echo "compare.sh: $DENSE has no 'bench' command" >&2
	exit 1
fi

# dense: the last line of each command is "<figure> <unit>".
last() { tail -n 1 | awk '{print $1}'; }
export GOMAXPROCS=$THREADS
declare -A D
echo "== dense (GOMAXPROCS=$THREADS)" >&2
D[gemm1]=$("$DENSE" bench gemm --m 2048 --n 128 --k 784 --seconds "$GEMM_SECONDS" | tee -a /dev/stderr | last)
D[gemm2]=$("$DENSE" bench gemm --m 1024 --n 1024 --k 1024 --seconds "$GEMM_SECONDS" | tee -a /dev/stderr | last)
D[train1]=$("$DENSE" bench train --layers 784,128,10 --batch-size 128 --rows $MNIST_ROWS --epochs $EPOCHS --optimizer adam | tee -a /dev/stderr | last)
D[train2]=$("$DENSE" bench train --layers 20,64,32,1 --batch-size 256 --rows $SMALL_ROWS --epochs $EPOCHS --optimizer adam | tee -a /dev/stderr | last)
D[sql1]=$("$DENSE" bench sql --layers 784,128,10 --rows $SQL_BIG_ROWS | tee -a /dev/stderr | last)
D[sql2]=$("$DENSE" bench sql --layers 20,64,32,1 --rows $SQL_SMALL_ROWS | tee -a /dev/stderr | last)
unset GOMAXPROCS

# Python: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines for old
# OpenBLAS builds) slow a current one down, so they are unset here only.
python_side() { # $1 = torch threads, $2 = OpenBLAS threads; prints "key value" lines
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$2" \
		"$PY" bench/torch_bench.py --threads "$1" --gemm-seconds "$GEMM_SECONDS" "${@:3}" | tee -a /dev/stderr |
		awk '$1=="gemm"{k="gemm" ($2=="2048x128x784"?1:2); print k, $3}
		     $1=="train"{k="train" ($2=="784,128,10"?1:2); print k, $4}
		     $1=="infer"{k="sql" ($2=="784,128,10"?1:2); print k, $4}'
}
WORK=(--train "784,128,10:128:$MNIST_ROWS:$EPOCHS;20,64,32,1:256:$SMALL_ROWS:$EPOCHS"
	--infer "784,128,10:2048:$SQL_BIG_ROWS;20,64,32,1:2048:$SQL_SMALL_ROWS")
declare -A P P1
echo "== numpy, OpenBLAS with $THREADS threads" >&2
while read -r k v; do P[$k]=$v; done < <(python_side "$THREADS" "$THREADS" --gemm 2048x128x784,1024x1024x1024 --train "" --infer "")
# PyTorch parallelises with its own OpenMP threads; OpenBLAS threads on top
# of them oversubscribe the cores and spin (many times slower), so its BLAS
# calls run single-threaded. One PyTorch thread is measured as well, since
# on a busy machine spinning OpenMP threads can lose to one: the ratio is
# taken against the faster of the two.
echo "== PyTorch, $THREADS threads" >&2
while read -r k v; do P[$k]=$v; done < <(python_side "$THREADS" 1 --gemm "" "${WORK[@]}")
echo "== PyTorch, 1 thread" >&2
while read -r k v; do P1[$k]=$v; done < <(python_side 1 1 --gemm "" "${WORK[@]}")

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, $(grep -o 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | xargs), dense $("$DENSE" bench gemm --m 64 --n 64 --k 64 --seconds 0.01 | head -1 | cut -d, -f1)"
echo "load average at the start: $LOAD0 (other programs running distort the figures)"
echo
printf '| %s | %s | %s | %s | %s |\n' workload dense "numpy / PyTorch, $THREADS threads" "PyTorch, 1 thread" "ratio"
printf '|---|---:|---:|---:|---:|\n'
row() { # key label unit
	local d=${D[$1]} p=${P[$1]:-} p1=${P1[$1]:-}
	local best
	best=$(awk -v a="$p" -v b="$p1" 'BEGIN{print (b!="" && b+0>a+0) ? b : a}')
	printf '| %s | %s | %s | %s | %.2f× |\n' "$2" "$d $3" "${p:-–} $3" "${p1:-–}${p1:+ $3}" \
		"$(awk -v d="$d" -v b="$best" 'BEGIN{print d/b}')"
}
row gemm1 "sgemm 2048×128×784 (vs numpy/OpenBLAS)" GFLOP/s
row gemm2 "sgemm 1024×1024×1024 (vs numpy/OpenBLAS)" GFLOP/s
row train1 "train 784→128→10, batch 128, Adam" samples/s
row train2 "train 20→64→32→1, batch 256, Adam" samples/s
row sql1 "SQL dense_predict vs torch batch 2048, 784→128→10" rows/s
row sql2 "SQL dense_predict vs torch batch 2048, 20→64→32→1" rows/s
echo
echo "ratio = dense / the faster Python run; reproduce with: bench/compare.sh"
