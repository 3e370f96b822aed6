#!/usr/bin/env bash
# compare.sh: run dense's benchmarks and the same workloads in numpy/PyTorch
# on this machine, one after the other, and print a table of the ratios.
#
#   bench/compare.sh              # full run, about 5–10 minutes on 2 cores
#   QUICK=1 bench/compare.sh      # smaller row counts, about two minutes
#   DENSE=/path/to/dense bench/compare.sh   # use a built binary
#
# Needs Go, and Debian's python3-numpy and python3-torch for /usr/bin/python3;
# libopenblas0-pthread makes numpy (and PyTorch's BLAS calls) use OpenBLAS
# instead of the reference BLAS, and python3-threadpoolctl lets the script
# report which BLAS kernel runs. Not part of CI.
#
# The Python side is measured at its best: OpenBLAS 0.3.21 does not know
# every recent CPU and may fall back to a slow kernel, so every workload
# runs under several OPENBLAS_CORETYPE settings (unset, Haswell, SkylakeX,
# Cooperlake; a kernel the CPU cannot run crashes and is skipped) and
# PyTorch with one and two threads; each ratio divides dense's figure by the
# fastest of all these runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-2}
CORETYPES=${CORETYPES:-"unset Haswell SkylakeX Cooperlake"}
if [ -n "${QUICK:-}" ]; then
	MNIST_ROWS=20000 SMALL_ROWS=100000 SQL_BIG_ROWS=20000 SQL_SMALL_ROWS=200000 EPOCHS=1 GEMM_SECONDS=1
else
	MNIST_ROWS=60000 SMALL_ROWS=200000 SQL_BIG_ROWS=100000 SQL_SMALL_ROWS=2000000 EPOCHS=2 GEMM_SECONDS=2
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

# dense: the last line of gemm and train is "<figure> <unit>"; sql prints
# "struct: <figure> rows/s" and "columns: <figure> rows/s".
last() { tail -n 1 | awk '{print $1}'; }
# echoerr copies its input to stderr and stdout. Not `tee -a /dev/stderr`: that reopens stderr, and
# when stderr is a file (bench/compare.sh >log 2>&1) its appends were overwritten by later output.
echoerr() { local text; text=$(cat); printf '%s\n' "$text" >&2; printf '%s\n' "$text"; }
form() { awk -v f="$1:" '$1==f{print $2}'; }
bound() { awk '$1=="GEMM-bound"{print $3}'; }
export GOMAXPROCS=$THREADS
declare -A D
echo "== dense (GOMAXPROCS=$THREADS)" >&2
D[gemm1]=$("$DENSE" bench gemm --m 2048 --n 128 --k 784 --seconds "$GEMM_SECONDS" | echoerr | last)
D[gemm2]=$("$DENSE" bench gemm --m 1024 --n 1024 --k 1024 --seconds "$GEMM_SECONDS" | echoerr | last)
# Training: the best of three timed runs, taken at the start, in the middle and at the end of the
# script (a run is under a second, and this machine's neighbours slow memory-bound work for minutes
# at a time; the Python side's figure is likewise the best of eight runs spread over the script).
TRAIN1=(--layers 784,128,10 --batch-size 128 --rows $MNIST_ROWS --epochs $EPOCHS --optimizer adam)
TRAIN2=(--layers 20,64,32,1 --batch-size 256 --rows $SMALL_ROWS --epochs $EPOCHS --optimizer adam)
train() { # $1 = 1|2: one timed run; keeps the fastest in D[train$1] and its GEMM bound in D[bound$1]
	local n=$1 out fig args
	if [ "$n" = 1 ]; then args=("${TRAIN1[@]}"); else args=("${TRAIN2[@]}"); fi
	out=$(GOMAXPROCS=$THREADS "$DENSE" bench train "${args[@]}" | echoerr)
	fig=$(last <<<"$out")
	if [ -z "${D[train$n]:-}" ] || awk -v a="$fig" -v b="${D[train$n]}" 'BEGIN{exit !(a>b)}'; then
		D[train$n]=$fig D[bound$n]=$(bound <<<"$out")
	fi
}
train 1
train 2
# SQL: each scenario twice, here and after the Python side, keeping each form's faster figure
# (a run's rounds follow each other within seconds, and a slow spell lasts minutes).
keep() { # $1 = key, $2 = figure: D[$1] becomes the larger
	if [ -n "$2" ] && { [ -z "${D[$1]:-}" ] || awk -v a="$2" -v b="${D[$1]}" 'BEGIN{exit !(a>b)}'; }; then D[$1]=$2; fi
}
sqlbench() {
	local data rows out
	for data in numeric categorical vector; do
		rows=$SQL_SMALL_ROWS
		[ $data = vector ] && rows=$SQL_BIG_ROWS
		out=$(GOMAXPROCS=$THREADS "$DENSE" bench sql --data $data --rows $rows | echoerr)
		keep sql_${data}_struct "$(form struct <<<"$out")"
		keep sql_${data}_columns "$(form columns <<<"$out")"
	done
}
sqlbench
train 1
train 2
unset GOMAXPROCS

# Python: every OPENBLAS_CORETYPE setting, PyTorch with 1 and $THREADS
# threads. P[key] keeps the fastest figure, C[key] the setting that gave it.
declare -A P C
record() { # $1 = setting; reads torch_bench.py's lines
	local k v
	while read -r k v; do
		if [ -z "${P[$k]:-}" ] || awk -v a="$v" -v b="${P[$k]}" 'BEGIN{exit !(a+0 > b+0)}'; then
			P[$k]=$v C[$k]=$1
		fi
	done < <(awk '$1=="gemm"{print "gemm" ($2=="2048x128x784"?1:2), $3}
	              $1=="train"{print "train" ($2=="784,128,10"?1:2), $4}
	              $1=="infer"{print "infer" ($2=="784,128,10"?1:2), $4}')
}
python_side() { # $1 = numpy|torch, $2 = coretype, $3 = torch threads, $4 = OpenBLAS threads, then torch_bench.py's flags
	local what=$1 ct=$2 th=$3 bt=$4 out rc=0
	shift 4
	local setting="torch $th thread$([ "$th" = 1 ] || echo s), CORETYPE=$ct"
	[ "$what" = numpy ] && setting="numpy, $bt OpenBLAS threads, CORETYPE=$ct"
	local envs=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$th" OPENBLAS_NUM_THREADS="$bt")
	[ "$ct" = unset ] || envs+=(OPENBLAS_CORETYPE="$ct")
	echo "== $setting" >&2
	out=$(env "${envs[@]}" "$PY" bench/torch_bench.py --threads "$th" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out" >&2
	[ $rc = 0 ] || echo "   (exited with status $rc: this OpenBLAS kernel does not run here; its figures are skipped)" >&2
	record "$setting" <<<"$out"
}
WORK=(--gemm "" --train "784,128,10:128:$MNIST_ROWS:1;20,64,32,1:256:$SMALL_ROWS:1"
	--infer "784,128,10:2048:$SQL_BIG_ROWS;20,64,32,1:2048:$SQL_SMALL_ROWS")
for ct in $CORETYPES; do
	# numpy's matmul with OpenBLAS's own threads.
	python_side numpy "$ct" "$THREADS" "$THREADS" --gemm 2048x128x784,1024x1024x1024 --gemm-seconds "$GEMM_SECONDS" --train "" --infer ""
	# PyTorch parallelises with its own OpenMP threads; OpenBLAS threads on
	# top of them oversubscribe the cores and spin, so its BLAS calls run
	# single-threaded. One PyTorch thread as well: on a busy machine
	# spinning OpenMP threads can lose to one.
	for th in $(printf '%s\n' 1 "$THREADS" | sort -un); do
		python_side torch "$ct" "$th" 1 "${WORK[@]}"
	done
done
echo "== dense, the second SQL runs and the third training runs (GOMAXPROCS=$THREADS)" >&2
sqlbench
train 1
train 2

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, $(grep -o 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | xargs), dense $("$DENSE" bench gemm --m 64 --n 64 --k 64 --seconds 0.01 | head -1 | cut -d, -f1)"
echo "load average at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other programs running distort the figures)"
echo
printf '| %s | %s | %s | %s | %s | %s |\n' workload dense "fastest numpy / PyTorch" "its setting" ratio target
printf '|---|---:|---:|---|---:|---|\n'
row() { # dense key, python key, label, unit, target
	local d=${D[$1]:-} p=${P[$2]:-}
	local r="–"
	[ -n "$d" ] && [ -n "$p" ] && r=$(awk -v d="$d" -v p="$p" 'BEGIN{printf "%.2f×", d/p}')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$3" "${d:-–} $4" "${p:-–} $4" "${C[$2]:-–}" "$r" "$5"
}
row gemm1 gemm1 "sgemm 2048×128×784 (numpy)" GFLOP/s "–"
row gemm2 gemm2 "sgemm 1024×1024×1024 (numpy)" GFLOP/s "–"
row train1 train1 "train 784→128→10, batch 128, Adam" samples/s "≥ 2.5×"
row train2 train2 "train 20→64→32→1, batch 256, Adam" samples/s "≥ 6×"
row sql_numeric_struct infer2 "SQL 20 numeric columns, STRUCT form, vs torch 20→64→32→1" rows/s "≥ 3×"
row sql_numeric_columns infer2 "SQL 20 numeric columns, one argument per column" rows/s "≥ 3×"
row sql_categorical_struct infer2 "SQL 10 numeric + 2 VARCHAR (20 inputs), STRUCT form" rows/s "–"
row sql_categorical_columns infer2 "SQL 10 numeric + 2 VARCHAR (20 inputs), per column" rows/s "–"
row sql_vector_struct infer1 "SQL FLOAT[784] 784→128→10, STRUCT form" rows/s "≥ 1.5×"
row sql_vector_columns infer1 "SQL FLOAT[784] 784→128→10, one argument" rows/s "≥ 1.5×"
echo
for f in struct columns; do
	n=${D[sql_numeric_$f]:-} c=${D[sql_categorical_$f]:-}
	[ -n "$n" ] && [ -n "$c" ] &&
		awk -v n="$n" -v c="$c" -v f="$f" 'BEGIN{printf "categorical / numeric scoring time, %s form: %.2f× (target ≤ 1.3×)\n", f, n/c}'
done
for i in 1 2; do
	t=${D[train$i]:-} b=${D[bound$i]:-}
	[ -n "$t" ] && [ -n "$b" ] &&
		awk -v t="$t" -v b="$b" -v m="$([ $i = 1 ] && echo 784→128→10 || echo 20→64→32→1)" \
			'BEGIN{printf "training %s: %.0f samples/s = %.0f%% of the GEMM-bound limit %.0f samples/s (the step'"'"'s matrix products alone)\n", m, t, 100*t/b, b}'
done
echo
echo "ratio = dense / the fastest Python run; SQL figures are net of a plain scan of the same columns"
echo "(DuckDB file table, model trained through the pipeline); reproduce with: bench/compare.sh"
