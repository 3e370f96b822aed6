package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/dense-ml/dense/nn"
)

// isTerminal reports whether f is an *os.File attached to a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && readline.IsTerminal(int(file.Fd()))
}

// progress draws a one-line progress bar on a terminal with carriage
// returns. A disabled progress (output not a terminal, or --quiet) draws
// nothing, so logs and pipes stay clean.
type progress struct {
	w       io.Writer
	enabled bool
	label   string
	total   int64 // 0 = unknown: a counter instead of a bar
	start   time.Time
	last    time.Time
	width   int // of the last line drawn, to blank it out
	cols    int // the terminal's width (0: unknown, no limit)
}

// newProgress draws on w, fitting lines to its width when w is a terminal.
func newProgress(w io.Writer, enabled bool, label string, total int64) *progress {
	return &progress{w: w, enabled: enabled, label: label, total: total, start: time.Now(), cols: terminalWidth(w)}
}

const barWidth = 28

// Update redraws the bar at done units of work, at most ten times a second.
func (p *progress) Update(done int64, suffix string) {
	if !p.enabled {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && (p.total == 0 || done < p.total) {
		return
	}
	p.last = now
	p.draw(done, suffix)
}

// draw redraws the line. On a terminal of p.cols columns the line stays
// shorter than that (a line that wraps cannot be redrawn with \r): the bar
// narrows first, down to minBarWidth, then the end of the line is cut with ….
func (p *progress) draw(done int64, suffix string) {
	const minBarWidth = 8
	var line string
	if p.total > 0 {
		frac := float64(done) / float64(p.total)
		frac = min(max(frac, 0), 1)
		bar := func(width int) string {
			filled := int(frac * float64(width))
			s := fmt.Sprintf("%s %s %3.0f%%", p.label, strings.Repeat("█", filled)+strings.Repeat("░", width-filled), 100*frac)
			if suffix != "" {
				s += "  " + suffix
			}
			return s
		}
		line = bar(barWidth)
		if over := len([]rune(line)) - (p.cols - 1); p.cols > 0 && over > 0 {
			line = bar(max(barWidth-over, minBarWidth))
		}
	} else {
		line = p.label + " " + nn.Thousands(int(done))
		if suffix != "" {
			line += " " + suffix
		}
	}
	if p.cols > 0 {
		line = truncate(line, p.cols-1)
	}
	n := len([]rune(line))
	pad := ""
	if n < p.width {
		pad = strings.Repeat(" ", p.width-n)
	}
	p.width = n
	fmt.Fprint(p.w, "\r"+line+pad)
}

// Finish draws the bar at done and ends the line, so the next output starts
// on a fresh line.
func (p *progress) Finish(done int64, suffix string) {
	if !p.enabled {
		return
	}
	p.draw(done, suffix)
	fmt.Fprintln(p.w)
	p.width = 0
}

// Clear blanks the line (before printing something else over it).
func (p *progress) Clear() {
	if !p.enabled || p.width == 0 {
		return
	}
	fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
	p.width = 0
}

// Elapsed is the time since the progress was created.
func (p *progress) Elapsed() time.Duration { return time.Since(p.start) }

// rate formats n units over d as "12.3k rows/s".
func rate(n int64, d time.Duration, unit string) string {
	if d <= 0 {
		return "– " + unit + "/s"
	}
	return humanCount(float64(n)/d.Seconds()) + " " + unit + "/s"
}

// humanCount formats a count with k/M/G suffixes: 950, 12.3k, 4.56M.
func humanCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
