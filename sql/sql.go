// Package sqlfiles holds the SQL files of the repository that Go code uses,
// so that each exists once: Demo is sql/demo.sql, the queries dense demo runs.
// (The SQL test suite in sql/test/ is read by udf's tests from disk.)
//
// The folder is sql/, where the README sends readers for the SQL files; the
// package is named sqlfiles so that it does not shadow database/sql. Import it
// as
//
//	import sqlfiles "github.com/dense-ml/dense/sql"
package sqlfiles

import _ "embed"

// Demo is the demo's scoring SQL, sql/demo.sql.
//
//go:embed demo.sql
var Demo string
