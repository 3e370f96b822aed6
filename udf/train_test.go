//go:build !dense_extension

package udf

import (
	"strings"
	"testing"
	"time"
)

// Interrupt stops a running dense_train: the statement fails saying so,
// well before the training would have ended, and nothing is registered.
func TestTrainInterrupt(t *testing.T) {
	src := NewMemory()
	db := openDB(t, src)
	exec(t, db, "CREATE TABLE big AS SELECT i::DOUBLE AS x, (i % 7)::DOUBLE AS y FROM range(20000) t(i)")
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := db.Exec("SELECT * FROM dense_train('slow', 'SELECT * FROM big', target := 'y', epochs := 100000, patience := 0)")
		done <- err
	}()
	// Wait until the training runs, then interrupt it.
	for {
		running.Lock()
		n := len(running.cancel)
		running.Unlock()
		if n > 0 {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("dense_train did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	Interrupt()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "dense_train: interrupted: nothing was registered") {
			t.Fatalf("interrupted dense_train: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Interrupt did not stop dense_train within a minute")
	}
	if list, _ := src.List(); len(list) != 0 {
		t.Errorf("an interrupted training registered %v", list)
	}
	// The next call works.
	var version int
	if err := db.QueryRow("SELECT version FROM dense_train('quick', 'SELECT * FROM big LIMIT 100', target := 'y', epochs := 1)").Scan(&version); err != nil || version != 1 {
		t.Errorf("after the interrupt: version %d, %v", version, err)
	}
}
