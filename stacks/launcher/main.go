// Command berth-launcher runs inside every Berth stack container: it announces readiness,
// reads one task frame from stdin, runs the task and writes the result frame
// (docs/launcher-protocol.md). Frames go to stdout; diagnostics to stderr.
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
	emit(map[string]string{"type": "ready"})
	emit(handle(os.Stdin, emit))
	os.Exit(0)
}

// handle reads the task frame from in and runs it, returning the result frame.
func handle(in io.Reader, emit func(any)) *ResultFrame {
	line, err := bufio.NewReaderSize(in, 64*1024).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		fmt.Fprintf(os.Stderr, "berth-launcher: no task frame: %v\n", err)
		return spawnErrorResult("malformed task frame: stdin ended before a complete line", nowMs(time.Now()))
	}
	frame, err := ParseFrame(line)
	if err != nil {
		fmt.Fprintf(os.Stderr, "berth-launcher: %v\n", err)
		return spawnErrorResult(err.Error(), nowMs(time.Now()))
	}
	r := &Runner{
		TaskDir: taskDir,
		Now:     time.Now,
		Started: func(atMs int64) {
			emit(map[string]any{"type": "started", "atMs": atMs})
		},
	}
	return r.Run(frame)
}
