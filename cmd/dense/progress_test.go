package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, "epoch 1/2", 10)
	p.Update(5, "loss 0.5")
	if got := b.String(); got != "\repoch 1/2 ██████████████░░░░░░░░░░░░░░  50%  loss 0.5" {
		t.Errorf("half-way bar: %q", got)
	}
	b.Reset()
	p.Update(6, "loss 0.4") // within 100 ms of the last draw: skipped
	if b.Len() != 0 {
		t.Errorf("redrawn too soon: %q", b.String())
	}
	p.Finish(10, "done")
	if got := b.String(); !strings.HasPrefix(got, "\repoch 1/2 ████████████████████████████ 100%  done") || !strings.HasSuffix(got, "\n") {
		t.Errorf("finished bar: %q", got)
	}
	// A shorter line blanks the rest of the longer one before it.
	b.Reset()
	c := newProgress(&b, true, "reading", 0)
	c.Update(123456, "rows")
	c.last = time.Time{}
	c.Update(7, "")
	if got := b.String(); got != "\rreading 123,456 rows\rreading 7"+strings.Repeat(" ", len("reading 123,456 rows")-len("reading 7")) {
		t.Errorf("counter: %q", got)
	}
	c.Clear()

	// Disabled: nothing at all.
	b.Reset()
	q := newProgress(&b, false, "x", 3)
	q.Update(1, "")
	q.Finish(3, "")
	q.Clear()
	if b.Len() != 0 {
		t.Errorf("a disabled bar wrote %q", b.String())
	}
}

func TestHumanFigures(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{950, "950"}, {12345, "12.3k"}, {4.56e6, "4.56M"}, {2e9, "2G"}} {
		if got := humanCount(tc.v); got != tc.want {
			t.Errorf("humanCount(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	if got := rate(5000, 2*time.Second, "rows"); got != "2500 rows/s" {
		t.Errorf("rate = %q", got)
	}
}

// On a narrow terminal the bar narrows, then the line is cut with …, so
// that it never wraps (a wrapped line cannot be redrawn in place).
func TestProgressBarFitsTerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, "epoch 1/2", 10)
	p.cols = 50
	p.Finish(5, "loss 0.5")
	line := strings.TrimSuffix(strings.TrimPrefix(b.String(), "\r"), "\n")
	if n := len([]rune(line)); n != 49 || !strings.HasSuffix(line, " 50%  loss 0.5") || strings.Count(line, "█") != 12 {
		t.Errorf("%d characters on a 50-column terminal: %q", n, line)
	}
	b.Reset()
	p = newProgress(&b, true, "epoch 1/2", 10)
	p.cols = 40
	p.Finish(10, "loss 0.5123  accuracy 0.9  val_loss 0.6")
	line = strings.TrimSuffix(strings.TrimPrefix(b.String(), "\r"), "\n")
	if n := len([]rune(line)); n != 39 || !strings.HasSuffix(line, "…") || strings.Count(line, "█") != 8 {
		t.Errorf("%d characters on a 40-column terminal: %q", n, line)
	}
}
