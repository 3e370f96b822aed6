#!/usr/bin/env bash
# extension.sh: the same scoring query on the same table, in dense sql and
# through dense.duckdb_extension loaded by DuckDB's Node API, and the ratio
# of their times (the issue's target: the extension within 10% of dense sql).
#
#   bench/extension.sh                 # 1M rows, 3 rounds of 3 timed runs per side, about 2 minutes on 2 cores
#   ROWS=200000 ROUNDS=1 bench/extension.sh
#
# Needs Go, gcc, Node.js and npm ci in extension/hosttest/node (the Node API
# brings its own libduckdb.so, DuckDB 1.5.6). The models are the two that
# dense demo trains (segment and churn, on 20,000 generated customers); the
# table repeats those customers up to ROWS rows. Both sides use DuckDB's
# default thread count. The sides alternate ROUNDS times; each time a side
# starts its process, runs the query once to warm up (the model is loaded
# then), then RUNS times; the script compares the medians of all runs.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-3}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
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
show() { tee >(cat >&2); } # a copy of the output on stderr, appended to whatever stderr is

export DENSE_MODELS="$work/models"
echo "== DuckDB's Node API $(node -p "require('./$NODE_DIR/node_modules/@duckdb/node-api/package.json').version")" >&2
SQL_TIMES="" EXT_TIMES=""
# The two sides alternate, ROUNDS times, so that a change in the machine's load hits both.
for round in $(seq 1 "$ROUNDS"); do
	echo "== round $round: dense sql: $QUERY" >&2
	# The shell's .timer times each statement inside the process (--shell reads the statements
	# from a pipe); the first run warms up (loads the model), like the Node side's.
	SQL_TIMES+=$'\n'$("$work/dense" sql --db "$work/shop.duckdb" --shell <"$work/bench.sql" | show | times | tail -n "$RUNS")
	echo "== round $round: the extension in DuckDB's Node API" >&2
	EXT_TIMES+=$'\n'$(cd "$NODE_DIR" && node bench.mjs "$work/dense.duckdb_extension" "$work/shop.duckdb" "$RUNS" "$QUERY" | show | times)
done

SQL_MED=$(echo "$SQL_TIMES" | grep . | median)
EXT_MED=$(echo "$EXT_TIMES" | grep . | median)
echo
echo "rows: $ROWS; median of $ROUNDS × $RUNS runs per side (load average at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf 'dense sql:                    %.3f s\n' "$SQL_MED"
printf 'extension in @duckdb/node-api: %.3f s\n' "$EXT_MED"
awk -v e="$EXT_MED" -v s="$SQL_MED" 'BEGIN {printf "ratio extension / dense sql:   %.3f (target ≤ 1.10)\n", e / s}'
