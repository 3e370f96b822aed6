package arrowio

import (
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// OpenIPC reads an Arrow IPC file (.arrow, Feather v2). Batches are read one
// at a time as stored; those longer than Options.BatchSize are sliced.
func OpenIPC(path string, opts Options) (Reader, error) {
	opts = opts.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	fr, err := ipc.NewFileReader(f, ipc.WithAllocator(opts.Allocator))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("arrowio: %s: not an Arrow IPC file: %w", path, err)
	}
	src := &ipcFileReader{path: path, f: f, fr: fr}
	return wrapSource(src, opts, path)
}

// OpenIPCStream reads an Arrow IPC stream (.arrows).
func OpenIPCStream(path string, opts Options) (Reader, error) {
	opts = opts.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	r, err := NewIPCStreamReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.(*sliceReader).src.(*ipcStreamReader).closer = f
	return r, nil
}

// NewIPCStreamReader reads an Arrow IPC stream from r; name is used in
// errors. Closing the reader does not close r.
func NewIPCStreamReader(r io.Reader, name string, opts Options) (Reader, error) {
	opts = opts.withDefaults()
	sr, err := ipc.NewReader(r, ipc.WithAllocator(opts.Allocator))
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s: not an Arrow IPC stream: %w", name, err)
	}
	return wrapSource(&ipcStreamReader{name: name, r: sr}, opts, name)
}

func wrapSource(src Reader, opts Options, name string) (Reader, error) {
	idx, err := projection(src.Schema(), opts.Columns, name)
	if err != nil {
		src.Close()
		return nil, err
	}
	return newSliceReader(src, opts.BatchSize, idx), nil
}

type ipcFileReader struct {
	path string
	f    *os.File
	fr   *ipc.FileReader
	next int
}

func (r *ipcFileReader) Schema() *arrow.Schema { return r.fr.Schema() }

func (r *ipcFileReader) Read() (arrow.RecordBatch, error) {
	if r.fr == nil || r.next >= r.fr.NumRecords() {
		return nil, io.EOF
	}
	b, err := r.fr.RecordBatchAt(r.next)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s batch %d: %w", r.path, r.next, err)
	}
	r.next++
	return b, nil // RecordBatchAt's result is ours to release
}

func (r *ipcFileReader) Close() error {
	if r.fr == nil {
		return nil
	}
	r.fr.Close()
	r.fr = nil
	return r.f.Close()
}

type ipcStreamReader struct {
	name   string
	r      *ipc.Reader
	closer io.Closer
}

func (r *ipcStreamReader) Schema() *arrow.Schema { return r.r.Schema() }

func (r *ipcStreamReader) Read() (arrow.RecordBatch, error) {
	if r.r == nil {
		return nil, fmt.Errorf("arrowio: %s: read after Close", r.name)
	}
	b, err := r.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s: %w", r.name, err)
	}
	b.Retain() // valid only until the next Read otherwise
	return b, nil
}

func (r *ipcStreamReader) Close() error {
	if r.r != nil {
		r.r.Release()
		r.r = nil
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}
