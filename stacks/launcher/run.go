package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// pipeDrainWait bounds how long output is still read after the task process ended (a process
// that left the group could otherwise hold the pipes open forever).
const pipeDrainWait = 2 * time.Second

// progressFd is the descriptor a task writes progress lines on (exported as BERTH_PROGRESS_FD).
const progressFd = 3

// Runner runs one task frame in TaskDir. Started is called once the process runs; Emit (when
// set) receives the live frames of a frame with liveIntervalMs.
type Runner struct {
	TaskDir string
	Started func(atMs int64)
	Emit    func(any)
	Now     func() time.Time
}

func nowMs(t time.Time) int64 { return t.UnixNano() / int64(time.Millisecond) }

// prepare creates code/, out/ and payload under TaskDir. Unless the frame reuses the code of
// the previous task, code/ is emptied first and the frame's tar extracted into it.
func (r *Runner) prepare(f *TaskFrame) error {
	code := filepath.Join(r.TaskDir, "code")
	out := filepath.Join(r.TaskDir, "out")
	if !f.ReuseCode {
		if err := os.RemoveAll(code); err != nil {
			return fmt.Errorf("cannot empty %s: %v", code, err)
		}
	}
	for _, d := range []string{code, out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cannot create %s: %v", d, err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.TaskDir, "payload"), f.Payload, 0o644); err != nil {
		return fmt.Errorf("cannot write payload: %v", err)
	}
	if f.CodeTar != nil && !f.ReuseCode {
		return extractTar(f.CodeTar, code)
	}
	return nil
}

// environment is the image's own env, then the frame's, then the launcher's fixed variables.
func (r *Runner) environment(f *TaskFrame) []string {
	return buildEnv(f.Env, [][2]string{
		{"TASK_ID", f.TaskID},
		{"TASK_ATTEMPT", strconv.FormatInt(f.Attempt, 10)},
		{"PAYLOAD_FILE", filepath.Join(r.TaskDir, "payload")},
		{"HOME", "/tmp"},
		{"TASK_DIR", r.TaskDir},
		{"TASK_OUT", filepath.Join(r.TaskDir, "out")},
		{"BERTH_PROGRESS_FD", strconv.Itoa(progressFd)},
	})
}

// lookPath finds argv0 on the given PATH; names with a slash are taken relative to dir.
func lookPath(argv0, pathEnv, dir string) (string, error) {
	if strings.Contains(argv0, "/") {
		p := argv0
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%s: not found or not executable", argv0)
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, argv0)
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable file not found in PATH", argv0)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// Run prepares the task directory, runs the command in its own process group with the
// timeout, and returns the result frame. It never returns an error: failures are results.
func (r *Runner) Run(f *TaskFrame) *ResultFrame {
	if err := r.prepare(f); err != nil {
		return spawnErrorResult(err.Error(), nowMs(r.Now()))
	}
	env := r.environment(f)
	codeDir := filepath.Join(r.TaskDir, "code")
	bin, err := lookPath(f.Command[0], envValue(env, "PATH"), codeDir)
	if err != nil {
		return spawnErrorResult(err.Error(), nowMs(r.Now()))
	}
	return r.spawn(f, bin, env, codeDir)
}

func (r *Runner) spawn(f *TaskFrame, bin string, env []string, codeDir string) *ResultFrame {
	outR, outW, err1 := os.Pipe()
	errR, errW, err2 := os.Pipe()
	progR, progW, err3 := os.Pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll(outR, outW, errR, errW, progR, progW)
		return spawnErrorResult(fmt.Sprintf("cannot create pipes: %v", err), nowMs(r.Now()))
	}
	cmd := &exec.Cmd{Path: bin, Args: f.Command, Env: env, Dir: codeDir, Stdout: outW, Stderr: errW,
		ExtraFiles: []*os.File{progW}} // fd 3 = progressFd
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	oomBefore := oomKillCount()
	startErr := cmd.Start()
	closeAll(outW, errW, progW)
	if startErr != nil {
		closeAll(outR, errR, progR)
		return spawnErrorResult(startErr.Error(), nowMs(r.Now()))
	}
	started := nowMs(r.Now())
	if r.Started != nil {
		r.Started(started)
	}
	feed := newLiveFeed(r.Emit, "", f.LiveIntervalMs, f.StdoutCapBytes, f.StderrCapBytes)
	stdout, stderr := newCappedBuffer(f.StdoutCapBytes), newCappedBuffer(f.StderrCapBytes)
	outDone, errDone, progDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go drain(outR, io.MultiWriter(stdout, feedWriter(feed.writeStdout)), outDone)
	go drain(errR, io.MultiWriter(stderr, feedWriter(feed.writeStderr)), errDone)
	go readProgress(progR, feed.report, progDone)

	var cancelled atomic.Bool
	cancel := func() {
		cancelled.Store(true)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cancelHook.Store(&cancel)
	timedOut := waitWithTimeout(cmd, time.Duration(f.TimeoutMs)*time.Millisecond)
	cancelHook.Store(nil)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the task ends with its main process
	waitDrained(pipeDrainWait, outDone, errDone)
	feed.stop() // no live frame after this point: the result frame follows
	closeAll(outR, errR, progR)
	<-progDone
	finished := nowMs(r.Now())

	res := &ResultFrame{Type: "result", TimedOut: timedOut, Cancelled: cancelled.Load() && !timedOut,
		StartedAtMs: started, FinishedAtMs: finished}
	setExit(res, cmd.ProcessState)
	fillStream(stdout, &res.StdoutB64, &res.StdoutBytes, &res.StdoutTruncated)
	fillStream(stderr, &res.StderrB64, &res.StderrBytes, &res.StderrTruncated)
	res.OomKilled = oomBefore >= 0 && oomKillCount() > oomBefore
	res.Outputs, res.OutputsTruncated = collectOutputs(filepath.Join(r.TaskDir, "out"), f.OutputCapBytes)
	return res
}

// waitWithTimeout waits for the process; at the timeout it SIGKILLs the whole process group.
func waitWithTimeout(cmd *exec.Cmd, timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return false
	case <-timer.C:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return true
	}
}

func waitDrained(limit time.Duration, chans ...chan struct{}) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for _, c := range chans {
		select {
		case <-c:
		case <-deadline.C:
			return
		}
	}
}

func setExit(res *ResultFrame, st *os.ProcessState) {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		name := signalName(ws.Signal())
		res.Signal = &name
		return
	}
	code := st.ExitCode()
	res.ExitCode = &code
}

func fillStream(b *cappedBuffer, b64 *string, total *int64, truncated *bool) {
	kept, n, cut := b.Snapshot()
	*b64 = base64.StdEncoding.EncodeToString(kept)
	*total = n
	*truncated = cut
}
