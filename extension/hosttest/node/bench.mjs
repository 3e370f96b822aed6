// Times a query in DuckDB's Node API with dense.duckdb_extension loaded, for
// bench/extension.sh:
//
//   node bench.mjs EXTENSION DATABASE RUNS 'SQL'
//
// Opens DATABASE read-only, loads the extension, runs SQL once to warm up
// (the model is loaded then) and RUNS more times, printing one line per
// run: "Run Time: <seconds> s" (the form of dense sql's .timer).
import { DuckDBInstance } from '@duckdb/node-api';

const [extension, database, runs, sql] = process.argv.slice(2);
const instance = await DuckDBInstance.create(database, { allow_unsigned_extensions: 'true', access_mode: 'READ_ONLY' });
const connection = await instance.connect();
await connection.run(`LOAD '${extension.replaceAll("'", "''")}'`);
await connection.runAndReadAll(sql);
for (let i = 0; i < Number(runs); i++) {
  const start = process.hrtime.bigint();
  const reader = await connection.runAndReadAll(sql);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (i === 0) console.error('result:', JSON.stringify(reader.getRowsJson()));
  console.log(`Run Time: ${seconds.toFixed(3)} s`);
}
connection.closeSync();
instance.closeSync();
