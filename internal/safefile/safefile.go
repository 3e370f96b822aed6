// Package safefile opens and reads files that come from a folder the program
// does not control (a models folder, a spec someone wrote) without hanging or
// running out of memory: only regular files are opened (a FIFO would block the
// open, a device such as /dev/zero never ends), and whole-file reads are
// capped. Errors name the path and say what is wrong.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by the error for a path that exists but is not a
// regular file (a folder, FIFO, socket or device, or a symbolic link to one).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error of ReadFile for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Open opens path for reading if it is a regular file or a symbolic link to
// one. It looks before it opens, so a FIFO is refused rather than waited on,
// and checks the opened file again, in case the path was swapped in between.
// A missing file wraps fs.ErrNotExist; a dangling symbolic link says so.
func Open(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if lst, lerr := os.Lstat(path); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(path)
				return nil, nil, &Error{Path: path, Problem: "is a symbolic link to " + target + ", which does not exist"}
			}
		}
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, notRegular(path, st)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, st)
	}
	return f, st, nil
}

// Error is the error for a path that exists but is not a regular file. It
// wraps ErrNotRegular.
type Error struct {
	Path    string
	Problem string // "is a FIFO, not a regular file"
}

func (e *Error) Error() string        { return e.Path + " " + e.Problem }
func (e *Error) Is(target error) bool { return target == ErrNotRegular }

func notRegular(path string, st fs.FileInfo) error {
	what := "something else"
	switch m := st.Mode(); {
	case m.IsDir():
		what = "a folder"
	case m&fs.ModeNamedPipe != 0:
		what = "a FIFO"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return &Error{Path: path, Problem: "is " + what + ", not a regular file"}
}

// ReadFile reads a whole regular file of at most limit bytes. It never reads
// more than limit+1 bytes, whatever the file claims its size is.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit: %w", path, st.Size(), limit, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over the %d-byte limit: %w", path, limit, ErrTooLarge)
	}
	return b, nil
}
