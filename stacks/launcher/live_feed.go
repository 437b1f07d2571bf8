package main

import (
	"encoding/base64"
	"sync"
	"time"
)

// LiveProgress is the latest progress a task reported (docs/launcher-protocol.md "Progress").
type LiveProgress struct {
	Pct *float64 `json:"pct"`
	Msg string   `json:"msg"`
}

// LiveFrame carries what a running task printed and reported since the previous live frame.
// TaskID is set in function mode (calls are told apart by it) and empty in task mode.
type LiveFrame struct {
	Type      string        `json:"type"`
	TaskID    string        `json:"taskId,omitempty"`
	StdoutB64 string        `json:"stdoutB64"`
	StderrB64 string        `json:"stderrB64"`
	Progress  *LiveProgress `json:"progress"`
}

// liveFeed coalesces a running task's output and progress into live frames, at most one per
// interval: the first byte or progress line arms a timer, and everything that arrives until it
// fires goes out in one frame. Streamed output is bounded by the same caps as the result (bytes
// beyond a stream's cap are never streamed). stop() drops what is pending and ends the feed
// under the same lock as a flush, so no live frame of a task follows its result frame. A nil
// feed or a zero interval streams nothing. Safe for concurrent use.
type liveFeed struct {
	mu       sync.Mutex
	emit     func(any)
	taskID   string
	interval time.Duration
	out, err []byte
	outLeft  int64
	errLeft  int64
	progress *LiveProgress
	timer    *time.Timer
	stopped  bool
}

// newLiveFeed returns nil (stream nothing) when intervalMs <= 0.
func newLiveFeed(emit func(any), taskID string, intervalMs, stdoutCap, stderrCap int64) *liveFeed {
	if intervalMs <= 0 || emit == nil {
		return nil
	}
	return &liveFeed{emit: emit, taskID: taskID, interval: time.Duration(intervalMs) * time.Millisecond, outLeft: stdoutCap, errLeft: stderrCap}
}

// writeStdout and writeStderr add output bytes (beyond the stream's cap they are dropped).
func (l *liveFeed) writeStdout(p []byte) {
	if l != nil {
		l.write(p, &l.out, &l.outLeft)
	}
}

func (l *liveFeed) writeStderr(p []byte) {
	if l != nil {
		l.write(p, &l.err, &l.errLeft)
	}
}

func (l *liveFeed) write(p []byte, pending *[]byte, left *int64) {
	if len(p) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || *left <= 0 {
		return
	}
	n := int64(len(p))
	if n > *left {
		n = *left
	}
	*pending = append(*pending, p[:n]...)
	*left -= n
	l.arm()
}

// report replaces the pending progress with the newest one.
func (l *liveFeed) report(p LiveProgress) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	l.progress = &p
	l.arm()
}

func (l *liveFeed) arm() {
	if l.timer == nil {
		l.timer = time.AfterFunc(l.interval, l.flush)
	}
}

func (l *liveFeed) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	if l.stopped || (len(l.out) == 0 && len(l.err) == 0 && l.progress == nil) {
		return
	}
	f := &LiveFrame{Type: "live", TaskID: l.taskID, Progress: l.progress,
		StdoutB64: base64.StdEncoding.EncodeToString(l.out), StderrB64: base64.StdEncoding.EncodeToString(l.err)}
	l.out, l.err, l.progress = nil, nil, nil
	l.emit(f)
}

// stop ends the feed; whatever is pending is dropped (the result frame carries all output).
func (l *liveFeed) stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.out, l.err, l.progress = nil, nil, nil
}

// feedWriter is an io.Writer that passes output to one stream of a feed.
type feedWriter func([]byte)

func (w feedWriter) Write(p []byte) (int, error) {
	w(p)
	return len(p), nil
}
