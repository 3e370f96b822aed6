// A minimal C host for dense.duckdb_extension, linked against DuckDB's
// libduckdb.so (the one @duckdb/node-api ships): it opens an in-memory
// database with unsigned extensions allowed, runs each argument as SQL and
// prints every result row with its values tab-separated in DuckDB's text
// form (NULL as NULL), a failed statement as "ERROR<tab>message", and "--"
// after each statement. Compiled and run by extension/hosttest's TestCHost.
//
//   host 'LOAD ''/path/dense.duckdb_extension''' 'SELECT dense_predict(...)' ...
#include <stdio.h>
#include <duckdb.h>

int main(int argc, char **argv) {
	duckdb_config config;
	duckdb_database db;
	duckdb_connection con;
	char *open_error = NULL;
	if (duckdb_create_config(&config) == DuckDBError ||
	    duckdb_set_config(config, "allow_unsigned_extensions", "true") == DuckDBError) {
		fprintf(stderr, "host: cannot make the config\n");
		return 1;
	}
	if (duckdb_open_ext(":memory:", &db, config, &open_error) == DuckDBError) {
		fprintf(stderr, "host: cannot open DuckDB: %s\n", open_error ? open_error : "?");
		return 1;
	}
	duckdb_destroy_config(&config);
	if (duckdb_connect(db, &con) == DuckDBError) {
		fprintf(stderr, "host: cannot connect\n");
		return 1;
	}
	printf("version\t%s\n--\n", duckdb_library_version());
	for (int a = 1; a < argc; a++) {
		duckdb_result res;
		if (duckdb_query(con, argv[a], &res) == DuckDBError) {
			printf("ERROR\t%s\n", duckdb_result_error(&res));
		} else {
			idx_t cols = duckdb_column_count(&res);
			idx_t rows = duckdb_row_count(&res);
			for (idx_t r = 0; r < rows; r++) {
				for (idx_t c = 0; c < cols; c++) {
					char *v = duckdb_value_varchar(&res, c, r);
					printf("%s%s", c ? "\t" : "", v ? v : "NULL");
					duckdb_free(v);
				}
				printf("\n");
			}
		}
		printf("--\n");
		duckdb_destroy_result(&res);
	}
	duckdb_disconnect(&con);
	duckdb_close(&db);
	return 0;
}
