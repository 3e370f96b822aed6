package dense

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/dense-ml/dense/arrowio"
)

func init() {
	beam.RegisterType(reflect.TypeOf(partFile{}))
	register.DoFn3x1[context.Context, Batch, func(partFile), error](&bundleWriteFn{})
	register.Emitter1[partFile]()
	register.Iter1[partFile]()
	register.DoFn4x1[context.Context, int, func(*partFile) bool, func(string), error](&finalizeFn{})
	register.DoFn1x2[Batch, int, Batch](&shardFn{})
	register.DoFn4x1[context.Context, int, func(*Batch) bool, func(string), error](&writeFn{})
	register.Emitter1[string]()
	register.Iter1[Batch]()
}

// WriteParquet writes the Batches as Parquet files into the folder dir (on
// any of Beam's filesystems), dir/part-00000-of-00012.parquet and so on,
// with arrowio's Parquet writer (the format `dense score` writes: zstd;
// row groups of at least DefaultReadRows rows, Batches gathered as `dense
// score`'s batches are, with shards 0; a row group per Batch with shards >
// 0). It returns the names of the files written.
//
// With shards 0 the Batches are written where they are made: every bundle
// of the stage that produced them (ReadParquet, Score, …, all fused into
// one stage by the runner) writes its own files as the Batches arrive, so
// no row is shuffled between workers; it encodes them on up to GOMAXPROCS
// goroutines, each with a file of its own, while it reads and scores the
// next (Parquet encoding is the largest cost of a scoring job, so one
// bundle keeps all of its worker's cores busy). A bundle writes under a temporary
// name in dir/.dense-tmp-XXXXXXXX/; once every bundle has committed, one
// last step renames the files of the committed bundles to
// part-NNNNN-of-NNNNN.parquet, in the order of their first rows (file,
// row), and removes the temporary folder with whatever a failed or retried
// bundle left there. The number of files is up to GOMAXPROCS per bundle,
// and the number of bundles is the runner's choice (on Prism usually one
// per stage unless it splits a slow bundle, on Dataflow many); within a
// file the rows are in the order the bundle processed them. This is
// Beam's own "runner-determined sharding".
//
// With shards > 0 there are exactly that many files (those that receive a
// row): the Batches are grouped by a hash of their source and row (a group
// by key, so every row goes through the runner's shuffle: on one machine
// several times slower) and written in source order (file, then row). A
// shard's name depends only on its number, so a retried bundle rewrites
// the same file.
//
// Batches with different schemas (input files with different columns) go
// to different files with shards 0, and are an error with shards > 0.
func WriteParquet(s beam.Scope, dir string, shards int, batches beam.PCollection) beam.PCollection {
	s = s.Scope("dense.WriteParquet")
	if shards > 0 {
		keyed := beam.ParDo(s, &shardFn{Shards: shards}, batches)
		files := beam.ParDo(s, &writeFn{Dir: dir, Shards: shards}, beam.GroupByKey(s, keyed))
		// (The names pass through a reshuffle even when nothing reads
		// them: Prism 2.77 busy-waits for the whole bundle on a stage
		// without outputs.)
		return beam.Reshuffle(s, files)
	}
	var token [4]byte
	rand.Read(token[:])
	tmp := joinPath(dir, ".dense-tmp-"+hex.EncodeToString(token[:]))
	parts := beam.ParDo(s, &bundleWriteFn{Tmp: tmp}, batches)
	return beam.ParDo(s, &finalizeFn{Dir: dir, Tmp: tmp}, beam.GroupByKey(s, beam.AddFixedKey(s, parts)))
}

// partFile is a file a bundle wrote, with the first row it holds.
type partFile struct {
	Path   string
	Source string
	Row    int64
}

// bundleWriteFn writes each bundle's Batches into temporary files and
// emits them when the bundle finishes. Encoding Parquet (dictionaries,
// statistics, zstd) costs more than reading and scoring the rows, so a
// bundle hands its Batches to up to Writers goroutines (0: GOMAXPROCS),
// each writing files of its own (one per schema), while the bundle reads
// and scores the next ones: a bundle uses every core of its worker, and
// writes up to Writers files.
type bundleWriteFn struct {
	Tmp     string `json:"tmp"`
	Writers int    `json:"writers"`

	ws *bundleWriters
}

func (fn *bundleWriteFn) ProcessElement(ctx context.Context, b Batch, _ func(partFile)) error {
	if fn.ws == nil {
		n := fn.Writers
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		fn.ws = startWriters(context.WithoutCancel(ctx), fn.Tmp, n)
	}
	if err := fn.ws.failed(); err != nil {
		return err
	}
	fn.ws.in <- b
	return nil
}

func (fn *bundleWriteFn) FinishBundle(emit func(partFile)) error {
	ws := fn.ws
	fn.ws = nil
	if ws == nil {
		return nil
	}
	parts, err := ws.close()
	if err != nil {
		return err
	}
	for _, p := range parts {
		emit(p)
	}
	return nil
}

// Teardown stops the writers of a failed bundle (the finalize step removes
// their files).
func (fn *bundleWriteFn) Teardown() error {
	if fn.ws != nil {
		fn.ws.close()
		fn.ws = nil
	}
	return nil
}

// bundleWriters are the goroutines writing one bundle's files.
type bundleWriters struct {
	in  chan Batch
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
	// parts are the files written and closed without an error.
	parts []partFile
}

type bundleFile struct {
	schema *arrow.Schema
	w      arrowio.Writer
	part   partFile
	// pending are Batches not written yet: they are gathered into row
	// groups of at least groupRows rows (a row group per input row group
	// of a few thousand rows would cost a dictionary page, statistics and
	// a zstd frame per column each: about a third more to encode).
	pending     []arrow.RecordBatch
	pendingRows int64
}

// groupRows is the least number of rows of a row group WriteParquet writes
// (but the last of a file): DefaultReadRows, the size of `dense score`'s batches.
const groupRows = DefaultReadRows

// add writes rec, or keeps it for a larger row group.
func (f *bundleFile) add(rec arrow.RecordBatch) error {
	f.pending = append(f.pending, rec)
	f.pendingRows += rec.NumRows()
	if f.pendingRows < groupRows {
		return nil
	}
	return f.flush()
}

// flush writes the pending Batches as one row group.
func (f *bundleFile) flush() error {
	pending, rows := f.pending, f.pendingRows
	f.pending, f.pendingRows = nil, 0
	switch len(pending) {
	case 0:
		return nil
	case 1:
		return f.w.Write(pending[0])
	}
	cols := make([]arrow.Array, len(f.schema.Fields()))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(pending))
	for c := range cols {
		for i, p := range pending {
			parts[i] = p.Column(c)
		}
		var err error
		if cols[c], err = array.Concatenate(parts, memory.DefaultAllocator); err != nil {
			return fmt.Errorf("column %q: %w", f.schema.Field(c).Name, err)
		}
	}
	rec := array.NewRecordBatch(f.schema, cols, rows)
	defer rec.Release()
	return f.w.Write(rec)
}

func startWriters(ctx context.Context, tmp string, n int) *bundleWriters {
	ws := &bundleWriters{in: make(chan Batch)}
	ws.wg.Add(n)
	for range n {
		go ws.run(ctx, tmp)
	}
	return ws
}

// failed is the first error of a writer, if any.
func (ws *bundleWriters) failed() error {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.err
}

func (ws *bundleWriters) fail(err error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.err == nil {
		ws.err = err
	}
}

// close waits for the writers to write what they were given and close
// their files.
func (ws *bundleWriters) close() ([]partFile, error) {
	close(ws.in)
	ws.wg.Wait()
	if err := ws.failed(); err != nil {
		return nil, err
	}
	return ws.parts, nil
}

// run writes Batches until in is closed (after an error it only drains
// in), then closes its files.
func (ws *bundleWriters) run(ctx context.Context, tmp string) {
	defer ws.wg.Done()
	var open []*bundleFile
	var err error
	for b := range ws.in {
		if err == nil {
			if err = safeWriteBatch(ctx, &open, tmp, b); err != nil {
				ws.fail(err)
			}
		}
	}
	for _, f := range open {
		cerr := f.flush()
		if cerr != nil {
			f.w.Close()
		} else {
			cerr = f.w.Close() // closes the file too
		}
		if cerr != nil {
			ws.fail(fmt.Errorf("dense: %s: %w", f.part.Path, cerr))
			err = cerr
		}
	}
	if err == nil {
		ws.mu.Lock()
		for _, f := range open {
			ws.parts = append(ws.parts, f.part)
		}
		ws.mu.Unlock()
	}
}

// safeWriteBatch is writeBatch with a panic turned into an error: on a
// goroutine of its own, a panic would end the worker process, not fail
// the bundle.
func safeWriteBatch(ctx context.Context, open *[]*bundleFile, tmp string, b Batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("dense: writing a batch of %s: panic: %v", b.Source, p)
		}
	}()
	return writeBatch(ctx, open, tmp, b)
}

// writeBatch writes b to the file of open with its schema, opening a new
// file in tmp for a new schema.
func writeBatch(ctx context.Context, open *[]*bundleFile, tmp string, b Batch) error {
	var f *bundleFile
	for _, o := range *open {
		if o.schema.Equal(b.Record.Schema()) {
			f = o
			break
		}
	}
	if f == nil {
		var id [16]byte
		rand.Read(id[:])
		name := joinPath(tmp, hex.EncodeToString(id[:])+".parquet")
		out, err := openWrite(ctx, name)
		if err != nil {
			return err
		}
		w, err := arrowio.NewParquetWriter(out, b.Record.Schema(), arrowio.WriterOptions{})
		if err != nil {
			out.Close()
			return fmt.Errorf("dense: %s: %w", name, err)
		}
		f = &bundleFile{schema: b.Record.Schema(), w: w, part: partFile{Path: name, Source: b.Source, Row: b.Row}}
		*open = append(*open, f)
	}
	if err := f.add(b.Record); err != nil {
		return fmt.Errorf("dense: %s: %w", f.part.Path, err)
	}
	return nil
}

// finalizeFn renames the committed bundles' files and removes the
// temporary folder.
type finalizeFn struct {
	Dir string `json:"dir"`
	Tmp string `json:"tmp"`
}

func (fn *finalizeFn) ProcessElement(ctx context.Context, _ int, iter func(*partFile) bool, emit func(string)) error {
	var parts []partFile
	var p partFile
	for iter(&p) {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b partFile) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), cmp.Compare(a.Row, b.Row), strings.Compare(a.Path, b.Path))
	})
	fs, err := filesystem.New(ctx, fn.Dir)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", fn.Dir, err)
	}
	defer fs.Close()
	for i, p := range parts {
		name := joinPath(fn.Dir, ShardName(i, len(parts)))
		if err := filesystem.Rename(ctx, fs, p.Path, name); err != nil {
			// A retried finalize finds the files it renamed before.
			_, errOld := fs.Size(ctx, p.Path)
			if _, errNew := fs.Size(ctx, name); errOld == nil || errNew != nil {
				return fmt.Errorf("dense: renaming %s to %s: %w", p.Path, name, err)
			}
		}
		emit(name)
	}
	// What failed or retried bundles left behind.
	left, err := fs.List(ctx, joinPath(fn.Tmp, "*"))
	if err != nil {
		return fmt.Errorf("dense: %s: %w", fn.Tmp, err)
	}
	rm, ok := fs.(filesystem.Remover)
	if !ok {
		return nil
	}
	for _, f := range left {
		if err := rm.Remove(ctx, f); err != nil {
			return fmt.Errorf("dense: removing %s: %w", f, err)
		}
	}
	rm.Remove(ctx, fn.Tmp) // the folder itself on a local disk; object stores have none
	return nil
}

// openWrite opens name for writing on its filesystem.
func openWrite(ctx context.Context, name string) (io.WriteCloser, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("dense: %s: %w", name, err)
	}
	defer fs.Close()
	out, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("dense: %s: %w", name, err)
	}
	return out, nil
}

// shardFn keys a Batch by its shard.
type shardFn struct {
	Shards int `json:"shards"`
}

func (k *shardFn) ProcessElement(b Batch) (int, Batch) {
	h := fnv.New32a()
	h.Write([]byte(b.Source))
	h.Write(binary.LittleEndian.AppendUint64(nil, uint64(b.Row)))
	return int(h.Sum32() % uint32(k.Shards)), b
}

// ShardName is the file name of shard i of n.
func ShardName(i, n int) string { return fmt.Sprintf("part-%05d-of-%05d.parquet", i, n) }

// writeFn writes one shard's Batches, in source order, to its file.
type writeFn struct {
	Dir    string `json:"dir"`
	Shards int    `json:"shards"`
}

func (fn *writeFn) ProcessElement(ctx context.Context, shard int, iter func(*Batch) bool, written func(string)) error {
	var batches []Batch
	var b Batch
	for iter(&b) {
		batches = append(batches, b)
	}
	if len(batches) == 0 {
		return nil
	}
	slices.SortFunc(batches, func(a, b Batch) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), cmp.Compare(a.Row, b.Row))
	})
	name := joinPath(fn.Dir, ShardName(shard, fn.Shards))
	out, err := openWrite(ctx, name)
	if err != nil {
		return err
	}
	w, err := arrowio.NewParquetWriter(out, batches[0].Record.Schema(), arrowio.WriterOptions{})
	if err != nil {
		out.Close()
		return fmt.Errorf("dense: %s: %w", name, err)
	}
	for _, b := range batches {
		if !b.Record.Schema().Equal(batches[0].Record.Schema()) {
			w.Close() // closes out too
			return fmt.Errorf("dense: %s: the batches of %s and %s have different schemas:\n%s\nand\n%s",
				name, batches[0].Source, b.Source, batches[0].Record.Schema(), b.Record.Schema())
		}
		if err := w.Write(b.Record); err != nil {
			w.Close()
			return fmt.Errorf("dense: %s: %w", name, err)
		}
	}
	if err := w.Close(); err != nil { // closes out too
		return fmt.Errorf("dense: %s: %w", name, err)
	}
	written(name)
	return nil
}

// joinPath joins a folder and a file name on a local path or a URL.
func joinPath(dir, name string) string {
	if strings.Contains(dir, "://") {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return path.Join(dir, name)
}
