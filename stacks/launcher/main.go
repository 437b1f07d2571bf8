// Command berth-launcher runs inside every Berth stack container: it announces readiness,
// reads a task frame from stdin, runs the task and writes the result frame
// (docs/launcher-protocol.md). A frame with keepAlive makes it clean up and wait for the next
// frame instead of exiting. Frames go to stdout; diagnostics to stderr.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

const taskDir = "/task"

func main() {
	shieldFromSignals()
	out := bufio.NewWriter(os.Stdout)
	emit := func(v any) {
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
	serve(bufio.NewReaderSize(os.Stdin, 64*1024), emit, cleaner)
	os.Exit(0)
}

// serve announces readiness and runs frames until one without keepAlive (or a malformed one,
// or a failed cleanup) ends the session.
func serve(in *bufio.Reader, emit func(any), cleaner *Cleaner) {
	for first := true; ; first = false {
		emit(map[string]string{"type": "ready"})
		if !first {
			if _, err := in.Peek(1); err != nil {
				return // stdin closed between tasks: the session is over, nothing to report
			}
		}
		res, frame := handle(in, emit, cleaner.TaskDir)
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
	line, err := in.ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		fmt.Fprintf(os.Stderr, "berth-launcher: no task frame: %v\n", err)
		return spawnErrorResult("malformed task frame: stdin ended before a complete line", nowMs(time.Now())), nil
	}
	frame, err := ParseFrame(line)
	if err != nil {
		fmt.Fprintf(os.Stderr, "berth-launcher: %v\n", err)
		return spawnErrorResult(err.Error(), nowMs(time.Now())), nil
	}
	r := &Runner{
		TaskDir: dir,
		Now:     time.Now,
		Started: func(atMs int64) {
			emit(map[string]any{"type": "started", "atMs": atMs})
		},
	}
	return r.Run(frame), frame
}
