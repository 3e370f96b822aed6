// A DuckDB host dense did not build: DuckDB's official Node API
// (@duckdb/node-api, with its own libduckdb.so), driven by the Go tests of
// extension/hosttest through stdin and stdout.
//
//   node host.mjs '<DuckDB config as JSON>'
//
// It opens an in-memory database with that config and one connection, then
// reads one JSON request per line, {"sql": "..."}, runs it (reading the
// whole result) and answers one JSON line: {"error": "..."} or
// {"types": ["FLOAT[]", ...], "rows": [[v, ...], ...]}. A value is null,
// a string, a boolean, an array (LIST, ARRAY), or an object {"f32": "x"},
// {"f64": "x"} (shortest text that reads back to the same number, or NaN,
// Infinity, -Infinity), {"int": "123"} (any integer, as text) or
// {"text": "..."} (any other type, in the Node API's text form).
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import readline from 'node:readline';

const config = JSON.parse(process.argv[2] || '{}');
const instance = await DuckDBInstance.create(':memory:', config);
const connection = await instance.connect();

const integerTypes = new Set([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT,
]);

function number(x) {
  return String(x); // the shortest round-trip form; "NaN", "Infinity", "-Infinity"
}

function encode(value, type) {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.FLOAT: return { f32: number(value) };
    case DuckDBTypeId.DOUBLE: return { f64: number(value) };
    case DuckDBTypeId.BOOLEAN: return value;
    case DuckDBTypeId.VARCHAR: return value;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return value.items.map((item) => encode(item, type.valueType));
  }
  if (integerTypes.has(type.typeId)) return { int: String(value) };
  return { text: String(value) };
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  const { sql } = JSON.parse(line);
  let answer;
  try {
    const reader = await connection.runAndReadAll(sql);
    const types = reader.columnTypes();
    answer = {
      types: types.map((t) => t.toString()),
      rows: reader.getRows().map((row) => row.map((v, i) => encode(v, types[i]))),
    };
  } catch (e) {
    answer = { error: String(e && e.message !== undefined ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
connection.closeSync();
instance.closeSync();
