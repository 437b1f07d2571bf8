// Command berth-launcher runs inside every Berth stack container: it announces readiness,
// reads a task frame from stdin, runs the task and writes the result frame
// (docs/launcher-protocol.md). A frame with keepAlive makes it clean up and wait for the next
// frame instead of exiting. A first frame of type "function" starts function mode instead: one
// language runtime serving calls (docs/function-runtimes.md). Frames go to stdout; diagnostics
// to stderr.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

const taskDir = "/task"

func main() {
	// One scheduler thread: the launcher only moves frames and bytes between the worker and one
	// task or runtime process at a time. With one P per core, every frame handed between its
	// goroutines could wake another OS thread (and a spinning one looking for work), which costs
	// CPU and latency on a small machine shared with the task itself.
	runtime.GOMAXPROCS(1)
	shieldFromSignals()
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex // live frames come from timer goroutines
	emit := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		line, err := json.Marshal(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "berth-launcher: cannot encode frame: %v\n", err)
			return
		}
		out.Write(append(line, '\n'))
		if err := out.Flush(); err != nil {
			fmt.Fprintf(os.Stderr, "berth-launcher: cannot write frame: %v\n", err)
		}
	}
	cleaner := &Cleaner{TaskDir: taskDir, TmpDir: "/tmp", ShmDir: "/dev/shm", KillStrays: os.Getpid() == 1}
	functions := &FunctionSession{RuntimePath: runtimeStartPath, TaskDir: taskDir, Cleaner: cleaner, Out: os.Stdout, Now: time.Now}
	serve(bufio.NewReaderSize(os.Stdin, 64*1024), emit, cleaner, functions.Run)
	os.Exit(0)
}

// serve announces readiness and runs frames until one without keepAlive (or a malformed one,
// or a failed cleanup) ends the session. A first frame of type "function" hands the session to
// function (function mode, docs/function-runtimes.md) when it is not nil.
func serve(in *bufio.Reader, emit func(any), cleaner *Cleaner, function func(first []byte, in *bufio.Reader)) {
	for first := true; ; first = false {
		emit(map[string]string{"type": "ready"})
		if !first {
			if _, err := in.Peek(1); err != nil {
				return // stdin closed between tasks: the session is over, nothing to report
			}
		}
		line, failed := nextFrame(in)
		if failed != nil {
			emit(failed)
			return
		}
		if first && function != nil && isFunctionFrame(line) {
			function(line, in)
			return
		}
		res, frame := runTaskLine(line, emit, cleaner.TaskDir)
		emit(res)
		if frame == nil || !frame.KeepAlive {
			return
		}
		if err := cleaner.Clean(); err != nil {
			fmt.Fprintf(os.Stderr, "berth-launcher: cleanup failed, exiting: %v\n", err)
			return
		}
	}
}

// handle reads one task frame from in and runs it, returning the result frame and the parsed
// frame (nil when it was malformed).
func handle(in *bufio.Reader, emit func(any), dir string) (*ResultFrame, *TaskFrame) {
	line, failed := nextFrame(in)
	if failed != nil {
		return failed, nil
	}
	return runTaskLine(line, emit, dir)
}

// nextFrame reads one frame line; when stdin ends before a complete line it returns the
// spawn-error result instead.
func nextFrame(in *bufio.Reader) ([]byte, *ResultFrame) {
	line, err := in.ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		fmt.Fprintf(os.Stderr, "berth-launcher: no task frame: %v\n", err)
		return nil, spawnErrorResult("malformed task frame: stdin ended before a complete line", nowMs(time.Now()))
	}
	return line, nil
}

// runTaskLine parses one task frame and runs it, returning the result frame and the parsed
// frame (nil when it was malformed).
func runTaskLine(line []byte, emit func(any), dir string) (*ResultFrame, *TaskFrame) {
	frame, err := ParseFrame(line)
	if err != nil {
		fmt.Fprintf(os.Stderr, "berth-launcher: %v\n", err)
		return spawnErrorResult(err.Error(), nowMs(time.Now())), nil
	}
	r := &Runner{
		TaskDir: dir,
		Now:     time.Now,
		Emit:    emit,
		Started: func(atMs int64) {
			emit(map[string]any{"type": "started", "atMs": atMs})
		},
	}
	return r.Run(frame), frame
}
