package main

import (
	"archive/tar"
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fnHarness runs a FunctionSession against the fake runtime (the test binary itself) over pipes.
type fnHarness struct {
	t     *testing.T
	stdin *io.PipeWriter
	// calls is where call and cancel frames go: stdin, or the accepted call socket connection.
	calls io.Writer
	// conn is the accepted call socket connection (socket mode only).
	conn net.Conn
	// hello is the first line read on the call socket (socket mode only).
	hello map[string]any
	// stdoutLines counts lines written on stdout while frames travel on the call socket.
	stdoutLines atomic.Int64
	frames      chan map[string]any
	done        chan struct{}
	taskDir     string
	tmp         string
}

type fnOptions struct {
	handler     string
	runtime     string // default: the test binary
	loadTimeout int64
	stdoutCap   int64
	stderrCap   int64
	env         map[string]string
	liveMs      int64
	// callSocket: "" for stdin/stdout, "listen" for a call socket the harness serves, or a path
	// nobody listens on.
	callSocket string
}

func startFunctions(t *testing.T, o fnOptions) *fnHarness {
	t.Helper()
	if o.handler == "" {
		o.handler = "app.txt:handle"
	}
	if o.runtime == "" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		o.runtime = exe
	}
	if o.loadTimeout == 0 {
		o.loadTimeout = 5000
	}
	if o.stdoutCap == 0 {
		o.stdoutCap, o.stderrCap = 4096, 4096
	}
	h := &fnHarness{t: t, frames: make(chan map[string]any, 100000), done: make(chan struct{}),
		taskDir: t.TempDir(), tmp: t.TempDir()}
	env := map[string]string{"BERTH_FAKE_RUNTIME": "1", "FAKE_TMP": h.tmp}
	for k, v := range o.env {
		env[k] = v
	}
	code := base64.StdEncoding.EncodeToString(makeTar(t, entry{name: "app.txt", body: "handler", kind: tar.TypeReg}))
	frame := map[string]any{
		"type": "function", "handler": o.handler, "codeTarB64": code, "env": env,
		"stdoutCapBytes": o.stdoutCap, "stderrCapBytes": o.stderrCap, "loadTimeoutMs": o.loadTimeout,
		"liveIntervalMs": o.liveMs,
	}
	var listener net.Listener
	switch o.callSocket {
	case "":
	case "listen":
		path := filepath.Join(t.TempDir(), "call.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		listener = l
		frame["callSocket"], frame["callToken"] = path, "token-1"
	default:
		frame["callSocket"], frame["callToken"] = o.callSocket, "token-1"
	}
	first, _ := json.Marshal(frame)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h.stdin = inW
	h.calls = inW
	s := &FunctionSession{RuntimePath: o.runtime, TaskDir: h.taskDir, Out: outW, Now: time.Now,
		Cleaner: &Cleaner{TaskDir: h.taskDir, TmpDir: h.tmp, ShmDir: t.TempDir()}}
	go func() {
		s.Run(first, bufio.NewReader(inR))
		outW.Close()
		close(h.done)
	}()
	frames := io.Reader(outR)
	if listener != nil {
		conn, err := listener.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		r := bufio.NewReader(conn)
		line, err := r.ReadBytes('\n')
		if err != nil || json.Unmarshal(line, &h.hello) != nil {
			t.Fatalf("no hello line on the call socket: %q %v", line, err)
		}
		h.conn, h.calls, frames = conn, conn, r
		go func() {
			sc := bufio.NewScanner(outR)
			for sc.Scan() {
				h.stdoutLines.Add(1)
			}
		}()
	}
	go func() {
		sc := bufio.NewScanner(frames)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("launcher wrote a line that is not JSON: %q", sc.Text())
			}
			h.frames <- m
		}
		close(h.frames)
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("session did not end after stdin closed")
		}
	})
	return h
}

func (h *fnHarness) send(frame map[string]any) {
	h.t.Helper()
	line, _ := json.Marshal(frame)
	if _, err := h.calls.Write(append(line, '\n')); err != nil {
		h.t.Fatalf("frames in: %v", err)
	}
}

// call queues a call whose payload is a fake-runtime command.
func (h *fnHarness) call(taskID, command string, timeoutMs int64) {
	h.send(map[string]any{"type": "call", "taskId": taskID, "attempt": 1, "payloadB64": b64(command),
		"labels": map[string]string{}, "timeoutMs": timeoutMs, "deadlineMs": time.Now().UnixMilli() + timeoutMs})
}

func (h *fnHarness) cancel(taskID string) {
	h.send(map[string]any{"type": "cancel", "taskId": taskID})
}

// next returns the next frame the launcher wrote (nil when it ended its output).
func (h *fnHarness) next() map[string]any {
	h.t.Helper()
	select {
	case f, ok := <-h.frames:
		if !ok {
			return nil
		}
		return f
	case <-time.After(15 * time.Second):
		h.t.Fatal("no frame from the launcher within 15 s")
		return nil
	}
}

// expectLoaded consumes the loaded frame.
func (h *fnHarness) expectLoaded() {
	h.t.Helper()
	if f := h.next(); f["type"] != "loaded" || f["atMs"].(float64) <= 0 {
		h.t.Fatalf("want loaded, got %v", f)
	}
}

// result returns the next frame, which must be the result of taskID.
func (h *fnHarness) result(taskID string) map[string]any {
	h.t.Helper()
	f := h.next()
	if f["type"] != "result" || f["taskId"] != taskID {
		h.t.Fatalf("want the result of %s, got %v", taskID, f)
	}
	return f
}

// value calls command and returns its ok value as a string.
func (h *fnHarness) value(taskID, command string) string {
	h.t.Helper()
	h.call(taskID, command, 5000)
	r := h.result(taskID)
	if r["status"] != "ok" {
		h.t.Fatalf("%s: want ok, got %v", command, r)
	}
	return decoded(h.t, r, "valueB64")
}

// ended waits for the session to end by itself.
func (h *fnHarness) ended() {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("session did not end")
	}
}

func decoded(t *testing.T, f map[string]any, key string) string {
	t.Helper()
	s, ok := f[key].(string)
	if !ok {
		t.Fatalf("%s missing in %v", key, f)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runSessionWith runs serve on input with a function-mode hook and returns the frames it emitted.
func runSessionWith(t *testing.T, input string, function func(first []byte)) []map[string]any {
	t.Helper()
	var frames []map[string]any
	emit := func(v any) {
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		frames = append(frames, m)
	}
	hook := func(first []byte, _ *bufio.Reader) { function(first) }
	serve(bufio.NewReader(strings.NewReader(input)), emit, &Cleaner{TaskDir: t.TempDir()}, hook)
	return frames
}
