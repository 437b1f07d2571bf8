package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newRunner(t *testing.T) (*Runner, *int64) {
	var started int64
	return &Runner{TaskDir: t.TempDir(), Now: time.Now, Started: func(at int64) { started = at }}, &started
}

func frame(cmd ...string) *TaskFrame {
	return &TaskFrame{TaskID: "t-1", Attempt: 3, Command: cmd, Env: map[string]string{"GREETING": "hi"},
		Payload: []byte("PAY"), TimeoutMs: 5000, StdoutCapBytes: 1 << 20, StderrCapBytes: 1 << 20, OutputCapBytes: 1 << 20}
}

func decode(t *testing.T, s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunExitCodeEnvPayloadAndOutputs(t *testing.T) {
	r, started := newRunner(t)
	script := `echo "$GREETING $TASK_ID $TASK_ATTEMPT $HOME $(cat $PAYLOAD_FILE) $(pwd)"; echo err >&2; ` +
		`mkdir -p $TASK_OUT/sub; printf b > $TASK_OUT/sub/b; printf a > $TASK_OUT/a; exit 7`
	res := r.Run(frame("sh", "-c", script))
	if res.SpawnError != nil || res.ExitCode == nil || *res.ExitCode != 7 || res.Signal != nil || res.TimedOut {
		t.Fatalf("unexpected result %+v", res)
	}
	want := "hi t-1 3 /tmp PAY " + filepath.Join(r.TaskDir, "code") + "\n"
	if got := decode(t, res.StdoutB64); got != want {
		t.Fatalf("stdout %q want %q", got, want)
	}
	if decode(t, res.StderrB64) != "err\n" || *started == 0 || res.FinishedAtMs < res.StartedAtMs {
		t.Fatalf("unexpected result %+v", res)
	}
	if len(res.Outputs) != 2 || res.Outputs[0].Name != "a" || res.Outputs[1].Name != "sub/b" || res.OutputsTruncated {
		t.Fatalf("outputs %+v", res.Outputs)
	}
}

func TestRunCapsStreamsAndOutputs(t *testing.T) {
	r, _ := newRunner(t)
	f := frame("sh", "-c", `head -c 100000 /dev/zero; head -c 50 /dev/zero >&2; `+
		`head -c 60 /dev/zero > $TASK_OUT/big; head -c 30 /dev/zero > $TASK_OUT/small`)
	f.StdoutCapBytes, f.StderrCapBytes, f.OutputCapBytes = 10, 50, 40
	res := r.Run(f)
	if res.StdoutBytes != 100000 || !res.StdoutTruncated || len(decode(t, res.StdoutB64)) != 10 {
		t.Fatalf("stdout cap: %+v", res)
	}
	if res.StderrBytes != 50 || res.StderrTruncated {
		t.Fatalf("stderr cap: %+v", res)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Name != "small" || !res.OutputsTruncated {
		t.Fatalf("output cap: %+v", res.Outputs)
	}
}

func TestRunTimeoutKillsWholeProcessGroup(t *testing.T) {
	r, _ := newRunner(t)
	f := frame("sh", "-c", `sleep 30 & echo $! > $TASK_OUT/child; sleep 30`)
	f.TimeoutMs = 300
	begin := time.Now()
	res := r.Run(f)
	if took := time.Since(begin); took > 3*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	if !res.TimedOut || res.Signal == nil || *res.Signal != "SIGKILL" || res.ExitCode != nil {
		t.Fatalf("unexpected result %+v", res)
	}
	if len(res.Outputs) != 1 {
		t.Fatalf("child pid not recorded: %+v", res.Outputs)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(decode(t, res.Outputs[0].DataB64)))
	time.Sleep(50 * time.Millisecond)
	if err := syscall.Kill(pid, 0); err == nil {
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); !strings.Contains(string(st), ") Z ") {
			t.Fatalf("background child %d survived the timeout", pid)
		}
	}
}

func TestRunSpawnErrors(t *testing.T) {
	r, _ := newRunner(t)
	res := r.Run(frame("no-such-program-xyz"))
	if res.SpawnError == nil || res.ExitCode != nil || !strings.Contains(*res.SpawnError, "not found") {
		t.Fatalf("unexpected result %+v", res)
	}
	r2, started := newRunner(t)
	f := frame("true")
	f.CodeTar = makeTar(t, entry{name: "../x", body: "x", kind: '0'})
	res = r2.Run(f)
	if res.SpawnError == nil || *started != 0 {
		t.Fatalf("bad tar must be a spawn error and nothing runs: %+v", res)
	}
}

func TestRunCodeTarAndRelativeCommand(t *testing.T) {
	r, _ := newRunner(t)
	f := frame("./run.sh")
	var tarData = makeTar(t, entry{name: "run.sh", body: "#!/bin/sh\necho from-code\n", kind: '0'})
	f.CodeTar = tarData
	os.MkdirAll(r.TaskDir, 0o755)
	res := r.Run(f)
	// the archive's mode is 0644: not executable, so this is a spawn error
	if res.SpawnError == nil {
		t.Fatalf("expected spawn error for non-executable entry: %+v", res)
	}
	res = (&Runner{TaskDir: t.TempDir(), Now: time.Now}).Run(func() *TaskFrame {
		g := frame("sh", "run.sh")
		g.CodeTar = tarData
		return g
	}())
	if res.ExitCode == nil || *res.ExitCode != 0 || decode(t, res.StdoutB64) != "from-code\n" {
		t.Fatalf("unexpected result %+v", res)
	}
}

func TestRunReportsSignal(t *testing.T) {
	r, _ := newRunner(t)
	res := r.Run(frame("sh", "-c", "kill -TERM $$"))
	if res.Signal == nil || *res.Signal != "SIGTERM" || res.TimedOut || res.ExitCode != nil {
		t.Fatalf("unexpected result %+v", res)
	}
}
