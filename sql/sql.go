// Package sql holds the SQL files of the repository that Go code uses, so
// that each exists once: Demo is sql/demo.sql, the queries dense demo runs.
// (The SQL test suite in sql/test/ is read by udf's tests from disk.)
package sql

import _ "embed"

// Demo is the demo's scoring SQL, sql/demo.sql.
//
//go:embed demo.sql
var Demo string
