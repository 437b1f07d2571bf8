package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// runtimeStartPath is the entry every function-capable stack image provides.
const runtimeStartPath = "/opt/berth/runtime/start"

// FunctionSession runs function mode (docs/function-runtimes.md §1): it loads the handler into
// one runtime process, then passes the executor's calls to it one at a time, in arrival order,
// and writes one result frame per call. A timeout, crash, OOM or cancel of the running call
// replaces the runtime (after a reset of the container) before the next call. Run returns when
// stdin ends (the runtime is killed) or a (re)load failed (after the load-error frame). With a
// call socket in the function frame, frames travel on it instead of stdin/stdout; the session
// also ends when the executor closes that connection.
type FunctionSession struct {
	// RuntimePath is the runtime's entry (runtimeStartPath; tests substitute a fake).
	RuntimePath string
	TaskDir     string
	// Cleaner resets the container between two runtimes (strays, /tmp, /dev/shm, /task leftovers).
	Cleaner *Cleaner
	Out     io.Writer
	Now     func() time.Time
}

// functionRun is the state of one session.
type functionRun struct {
	*FunctionSession
	frame       *FunctionFrame
	env         []string
	out         *frameWriter
	queue       *callQueue
	stdinGone   chan struct{}
	rt          *runtimeProcess
	markers     markerSource
	callTimer   *time.Timer
	markerTimer *time.Timer
	// feed is the running call's live feed (nil between calls or when live frames are off).
	feed atomic.Pointer[liveFeed]
}

// Run serves a session whose first frame (already read from in) is the function frame.
func (s *FunctionSession) Run(first []byte, in *bufio.Reader) {
	f, err := ParseFunctionFrame(first)
	if err != nil {
		logf("%v", err)
		out := newFrameWriter(s.Out)
		out.send(loadError(err.Error(), nil))
		out.close()
		return
	}
	in, w, release := sessionChannel(f, in, s.Out)
	defer release()
	out := newFrameWriter(w)
	defer out.close()
	r := &functionRun{
		FunctionSession: s, frame: f, out: out, queue: newCallQueue(), stdinGone: make(chan struct{}),
		callTimer: stoppedTimer(), markerTimer: stoppedTimer(),
	}
	if err := r.prepareCode(); err != nil {
		out.send(loadError(err.Error(), nil))
		return
	}
	r.env = buildEnv(f.Env, [][2]string{
		{"BERTH_HANDLER", f.Handler}, {"HOME", "/tmp"},
		{"TASK_DIR", s.TaskDir}, {"TASK_OUT", filepath.Join(s.TaskDir, "out")},
	})
	go r.readFrames(in)
	if !r.load() {
		return
	}
	out.send(&LoadedFrame{Type: "loaded", AtMs: nowMs(s.Now())})
	r.serveCalls()
}

// prepareCode empties /task/code, extracts the frame's tar into it and creates /task/out.
func (r *functionRun) prepareCode() error {
	code := filepath.Join(r.TaskDir, "code")
	if err := os.RemoveAll(code); err != nil {
		return fmt.Errorf("cannot empty %s: %v", code, err)
	}
	for _, d := range []string{code, filepath.Join(r.TaskDir, "out")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cannot create %s: %v", d, err)
		}
	}
	if r.frame.CodeTar != nil {
		return extractTar(r.frame.CodeTar, code)
	}
	return nil
}

// serveCalls is the call loop: one call at a time, until stdin ends or a reload fails.
func (r *functionRun) serveCalls() {
	for {
		c := r.queue.pop(r.stdinGone)
		if c == nil {
			r.stopRuntime()
			return
		}
		if r.rt.hasExited() && !r.replaceRuntime() { // it ended on its own while idle
			return
		}
		res, replace := r.call(c)
		r.queue.finish()
		if res == nil { // stdin ended during the call
			r.stopRuntime()
			return
		}
		r.out.send(res)
		if replace && !r.replaceRuntime() {
			return
		}
	}
}

// load starts the runtime and waits for its `L`. On failure it writes the load-error frame;
// false means the session is over (load failed, or stdin ended meanwhile).
func (r *functionRun) load() bool {
	if !isExecutable(r.RuntimePath) {
		r.out.send(loadError(errNoRuntime.Error(), nil))
		return false
	}
	rt, err := startRuntime(r.RuntimePath, filepath.Join(r.TaskDir, "code"), r.env, r.frame.StdoutCapBytes, r.frame.StderrCapBytes,
		func(p LiveProgress) { r.feed.Load().report(p) })
	if err != nil {
		r.out.send(loadError("cannot start the runtime: "+err.Error(), nil))
		return false
	}
	r.rt = rt
	limit := time.NewTimer(time.Duration(r.frame.LoadTimeoutMs) * time.Millisecond)
	defer limit.Stop()
	line, outcome := r.nextReply(limit.C, nil)
	var reason string
	switch outcome {
	case inputEnded:
		r.stopRuntime()
		return false
	case waitTimedOut:
		reason = fmt.Sprintf("the handler did not load within %d ms", r.frame.LoadTimeoutMs)
	case repliesEnded:
		rt.kill(killWait)
		reason = "the runtime ended before loading the handler (" + rt.describeExit() + ")"
	case replied:
		rep, err := parseReply(line)
		switch {
		case err != nil:
			reason = "runtime protocol violation while loading: " + err.Error()
		case rep.kind == 'L':
			return true
		case rep.kind == 'E':
			reason = joinNonEmpty(rep.message, rep.stack)
		default:
			reason = "runtime protocol violation while loading: a value before L"
		}
	}
	rt.kill(killWait)
	stderr := rt.stderr.takeAfterEOF(streamEndWait)
	rt.close()
	r.out.send(loadError(reason, stderr.kept))
	return false
}

// replaceRuntime kills the runtime and its strays, resets the container and loads a fresh
// runtime. False means the session is over (the load-error frame is written).
func (r *functionRun) replaceRuntime() bool {
	r.stopRuntime()
	if err := r.Cleaner.Clean(); err != nil {
		logf("cleanup between runtimes failed: %v", err)
		r.out.send(loadError("cannot reset the container for a fresh runtime: "+err.Error(), nil))
		return false
	}
	return r.load()
}

func (r *functionRun) stopRuntime() {
	if r.rt != nil {
		r.rt.kill(killWait)
		r.rt.close()
	}
}

// readFrames reads call and cancel frames until stdin ends, then closes stdinGone.
func (r *functionRun) readFrames(in *bufio.Reader) {
	defer close(r.stdinGone)
	var scratch []byte
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			scratch = r.handleFrame(line, scratch)
			if cap(scratch) > 1<<20 {
				scratch = nil
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *functionRun) handleFrame(line, scratch []byte) []byte {
	var raw inboundFrame
	if err := json.Unmarshal(line, &raw); err != nil {
		logf("malformed frame ignored: %v", err)
		return scratch
	}
	switch raw.Type {
	case "call":
		c, grown, err := parseCallFrame(&raw, scratch)
		if err != nil {
			logf("%v", err)
			if raw.TaskID != nil && *raw.TaskID != "" {
				r.out.send(&CallResult{Type: "result", TaskID: *raw.TaskID, Status: statusError, ErrorMessage: strPtr(err.Error())})
			}
			return grown
		}
		r.queue.push(c)
		return grown
	case "cancel":
		if raw.TaskID == nil {
			logf("cancel frame without taskId ignored")
			return scratch
		}
		for _, c := range r.queue.cancel(*raw.TaskID) {
			r.out.send(cancelledWhileQueued(c.TaskID))
		}
	default:
		logf("frame of type %q ignored in function mode", raw.Type)
	}
	return scratch
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "berth-launcher: "+format+"\n", args...)
}

func joinNonEmpty(parts ...string) string {
	var b bytes.Buffer
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String()
}
