#!/usr/bin/env bash
# extension.sh: the same scoring query on the same table, in dense sql and
# through dense.duckdb_extension loaded by DuckDB's Node API, and the ratio
# of their times (the issue's target: the extension within 10% of dense sql).
#
#   bench/extension.sh                 # 1M rows, 5 timed runs each, about 3 minutes on 2 cores
#   ROWS=200000 RUNS=3 bench/extension.sh
#
# Needs Go, gcc, Node.js and npm ci in extension/hosttest/node (the Node API
# brings its own libduckdb.so, DuckDB 1.5.6). The models are the two that
# dense demo trains (segment and churn, on 20,000 generated customers); the
# table repeats those customers up to ROWS rows. Both sides use DuckDB's
# default thread count. Each side runs the query once to warm up (the model
# is loaded then), then RUNS times; the script compares the medians.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
NODE_DIR=extension/hosttest/node
if [ ! -d "$NODE_DIR/node_modules/@duckdb/node-api" ]; then
	echo "extension.sh: run npm ci in $NODE_DIR first" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== building dense and the extension in $work" >&2
go build -o "$work/dense" ./cmd/dense
go run ./extension/build -o "$work/dense.duckdb_extension"

echo "== dense demo: customers and two trained models" >&2
"$work/dense" demo --db "$work/shop.duckdb" --models "$work/models" --epochs 5 >/dev/null
cat >"$work/table.sql" <<SQL
CREATE TABLE bench AS
SELECT c.* FROM customers c, range(CAST(ceil($ROWS / (SELECT count(*) FROM customers)) AS BIGINT)) r
LIMIT $ROWS;
SQL
"$work/dense" sql --db "$work/shop.duckdb" "$work/table.sql" >/dev/null

QUERY="SELECT count(*), sum(dense_predict('churn', c)), count(DISTINCT dense_predict_label('segment', c)) FROM bench c"
{
	echo ".timer on"
	for _ in $(seq 0 "$RUNS"); do echo "$QUERY;"; done
} >"$work/bench.sql"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
times() { grep -o 'Run Time: [0-9.]*' | awk '{print $3}'; }

echo "== dense sql: $QUERY" >&2
export DENSE_MODELS="$work/models"
# The shell's .timer times each statement inside the process (--shell reads the statements from a
# pipe); the first run warms up (loads the model), like the Node side's.
SQL_TIMES=$("$work/dense" sql --db "$work/shop.duckdb" --shell <"$work/bench.sql" | tee /dev/stderr | times | tail -n "$RUNS")
echo "== the extension in DuckDB's Node API $(node -p "require('./$NODE_DIR/node_modules/@duckdb/node-api/package.json').version")" >&2
EXT_TIMES=$(cd "$NODE_DIR" && node bench.mjs "$work/dense.duckdb_extension" "$work/shop.duckdb" "$RUNS" "$QUERY" | tee /dev/stderr | times)

SQL_MED=$(echo "$SQL_TIMES" | median)
EXT_MED=$(echo "$EXT_TIMES" | median)
echo
echo "rows: $ROWS; median of $RUNS runs (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf 'dense sql:                    %.3f s\n' "$SQL_MED"
printf 'extension in @duckdb/node-api: %.3f s\n' "$EXT_MED"
awk -v e="$EXT_MED" -v s="$SQL_MED" 'BEGIN {printf "ratio extension / dense sql:   %.3f (target ≤ 1.10)\n", e / s}'
