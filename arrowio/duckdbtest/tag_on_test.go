//go:build duckdb_arrow

package duckdbtest

const wantArrowPath = true
