//go:build dense_extension

package udf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/dense-ml/dense/registry"
)

// SettingModels is the DuckDB setting that names the models folder of the
// extension: SET dense_models = '/data/models'. Its default is
// $DENSE_MODELS, else ./models, made absolute when the extension is
// loaded; current_setting('dense_models') tells the folder in use.
const SettingModels = "dense_models"

// RegisterExtension registers the dense functions and the dense_models
// setting on the database that DuckDB passes to the extension's entry
// point. api is the duckdb_ext_api_v1 function table that the entry point
// got from access->get_api, db the duckdb_database * from
// access->get_database; both must stay valid while the database is open
// (DuckDB's own table does). Loading the extension again into the same
// database does nothing (the setting exists already).
func RegisterExtension(api, db unsafe.Pointer) error {
	if api == nil || db == nil {
		return errors.New("udf: RegisterExtension needs DuckDB's API table and database")
	}
	initAPI(api)
	conn, ok := connect(db)
	if !ok {
		return errors.New("udf: cannot open a connection to the database loading the extension")
	}
	ctx := connectionClientContext(conn)
	_, loaded := setting(ctx, SettingModels)
	connID := clientContextConnectionID(ctx)
	destroyClientContext(&ctx)
	if loaded {
		disconnect(&conn)
		return nil
	}
	dir := os.Getenv(registry.EnvDir)
	if dir == "" {
		dir = registry.DefaultDir
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if !registerSetting(conn, SettingModels, dir,
		"dense: the models folder the dense functions read (default $DENSE_MODELS, else ./models)") {
		disconnect(&conn)
		return fmt.Errorf("udf: registering the setting %s failed", SettingModels)
	}
	// The connection stays open: dense_train, dense_evaluate and
	// dense_confusion run their queries on it (query_ext.go). It keeps the
	// database open until the process ends (see extension/doc.go).
	return registerAll(conn, &models{dflt: dir, folders: map[string]ModelSource{}, conn: conn, connID: connID})
}

// models is where the extension's functions find models: the registry
// folder named by the dense_models setting, read when a query is bound. A
// folder's source (and its cache of loaded models) is kept for the next
// queries. conn is the extension's own connection, for queries (one at a
// time, queryMu); connID its id.
type models struct {
	dflt    string
	mu      sync.Mutex
	folders map[string]ModelSource

	conn    connection
	connID  uint64
	queryMu sync.Mutex
}

// source returns the model source for a query: the folder the query's
// session names.
func (m *models) source(ctx clientContext) (ModelSource, error) {
	dir := m.dflt
	if ctx.p != nil {
		if v, ok := setting(ctx, SettingModels); ok && v != "" {
			dir = v
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if src, ok := m.folders[dir]; ok {
		return src, nil
	}
	reg, err := registry.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("models folder (SET %s): %w", SettingModels, err)
	}
	src := folderSource(reg)
	m.folders[dir] = src
	return src, nil
}
