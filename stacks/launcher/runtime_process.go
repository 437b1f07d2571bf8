package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// runtimeProcess is one started language runtime (docs/function-runtimes.md §1 "Runtime
// start"): its own process group, stdin /dev/null, fd 3 = calls (written here), fd 4 = replies
// (read here), fd 1/fd 2 split per call. Four goroutines serve it for its whole life (replies,
// stdout, stderr, exit), none per call.
type runtimeProcess struct {
	cmd     *exec.Cmd
	calls   *os.File    // write end of fd 3
	replies chan []byte // lines from fd 4; closed when fd 4 ends
	stdout  *streamSplitter
	stderr  *streamSplitter
	exited  chan struct{} // closed once the process was reaped; state is then set
	state   *os.ProcessState
	// oomBefore is the memory cgroup's OOM-kill counter when the runtime started (-1: unknown).
	oomBefore int64
	readEnds  []*os.File
	stopped   chan struct{} // closed by close(): nobody reads replies any more
	closeOnce sync.Once
	callBuf   []byte
	// progress receives the runtime's `P` lines (progress of the running call); they never
	// reach replies.
	progress func(LiveProgress)
}

// startRuntime starts path in dir with env. stdoutCap/stderrCap cap each call's segments.
// progress (may be nil) receives the progress lines the runtime writes on fd 4.
func startRuntime(path, dir string, env []string, stdoutCap, stderrCap int64, progress func(LiveProgress)) (*runtimeProcess, error) {
	var pipes [8]*os.File // callsR, callsW, repliesR, repliesW, outR, outW, errR, errW
	for i := 0; i < len(pipes); i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(pipes[:i]...)
			return nil, fmt.Errorf("cannot create pipes: %v", err)
		}
		pipes[i], pipes[i+1] = r, w
	}
	callsR, callsW, repliesR, repliesW, outR, outW, errR, errW :=
		pipes[0], pipes[1], pipes[2], pipes[3], pipes[4], pipes[5], pipes[6], pipes[7]
	cmd := &exec.Cmd{
		Path: path, Args: []string{path}, Env: env, Dir: dir,
		Stdout: outW, Stderr: errW, ExtraFiles: []*os.File{callsR, repliesW},
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	p := &runtimeProcess{
		cmd: cmd, calls: callsW, replies: make(chan []byte, 16),
		stdout: newStreamSplitter(stdoutCap, false), stderr: newStreamSplitter(stderrCap, true),
		exited: make(chan struct{}), stopped: make(chan struct{}), oomBefore: oomKillCount(),
		readEnds: []*os.File{repliesR, outR, errR}, progress: progress,
	}
	err := cmd.Start()
	closeAll(callsR, repliesW, outW, errW) // the child's ends
	if err != nil {
		closeAll(callsW, repliesR, outR, errR)
		return nil, err
	}
	go p.readReplies(repliesR)
	go p.stdout.run(outR)
	go p.stderr.run(errR)
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	return p, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func (p *runtimeProcess) readReplies(r *os.File) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadBytes('\n')
		if err == nil && len(line) > 2 && line[0] == 'P' && line[1] == '\t' {
			p.onProgressLine(line)
			continue
		}
		if len(line) > 0 && err == nil {
			select {
			case p.replies <- line:
			case <-p.stopped:
				err = os.ErrClosed
			}
		}
		if err != nil {
			close(p.replies)
			return
		}
	}
}

// onProgressLine passes a valid `P\t<pct>\t<b64 msg>\n` line on; malformed ones are dropped
// (progress is best effort and never breaks a call).
func (p *runtimeProcess) onProgressLine(line []byte) {
	fields := bytes.Split(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\t'})
	if len(fields) != 3 || p.progress == nil {
		return
	}
	if lp, ok := parseProgressReply(fields[1], fields[2]); ok {
		p.progress(lp)
	}
}

// send writes one call line to fd 3, giving up at deadline.
func (p *runtimeProcess) send(c *CallFrame, markerHex string, deadline time.Time) error {
	p.callBuf = appendCallLine(p.callBuf[:0], c, markerHex)
	_ = p.calls.SetWriteDeadline(deadline)
	_, err := p.calls.Write(p.callBuf)
	if cap(p.callBuf) > 1<<20 {
		p.callBuf = nil // do not keep a large payload's buffer for the session
	}
	return err
}

// hasExited reports whether the runtime process is gone.
func (p *runtimeProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the runtime's process group and waits up to limit for the runtime to be reaped.
func (p *runtimeProcess) kill(limit time.Duration) {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
}

// close releases the launcher's ends of the pipes; the reading goroutines then end even when a
// stray process still holds the other ends. Call after kill.
func (p *runtimeProcess) close() {
	p.closeOnce.Do(func() {
		close(p.stopped)
		closeAll(p.calls)
		closeAll(p.readEnds...)
	})
}

// exit fills exitCode/signal of a result from how the runtime ended (nothing when not reaped).
func (p *runtimeProcess) exit(res *CallResult) {
	if !p.hasExited() || p.state == nil {
		return
	}
	if ws, ok := p.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = strPtr(signalName(ws.Signal()))
		return
	}
	code := p.state.ExitCode()
	res.ExitCode = &code
}

// oomKilled reports whether the memory cgroup's OOM killer fired since the runtime started.
func (p *runtimeProcess) oomKilled() bool {
	return p.oomBefore >= 0 && oomKillCount() > p.oomBefore
}

// describeExit is how a runtime that ended during its load is described in a load-error.
func (p *runtimeProcess) describeExit() string {
	var res CallResult
	p.exit(&res)
	switch {
	case res.Signal != nil:
		return "killed by " + *res.Signal
	case res.ExitCode != nil:
		return fmt.Sprintf("exit code %d", *res.ExitCode)
	}
	return "still running"
}

var errNoRuntime = errors.New("this stack has no function runtime")
