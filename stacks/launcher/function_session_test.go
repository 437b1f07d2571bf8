package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFunctionReturnsEachValueKind(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	for i, tc := range []struct{ command, kind, value string }{
		{"string:héllo", "string", "héllo"},
		{"bytes:\x00\x01", "bytes", "\x00\x01"},
		{`json:{"a":[1,2]}`, "json", `{"a":[1,2]}`},
		{"null", "null", ""},
	} {
		id := "t" + strconv.Itoa(i)
		h.call(id, tc.command, 5000)
		r := h.result(id)
		if r["status"] != "ok" || r["valueKind"] != tc.kind || decoded(t, r, "valueB64") != tc.value {
			t.Fatalf("%s: %v", tc.command, r)
		}
		if r["errorMessage"] != nil || r["exitCode"] != nil || r["signal"] != nil {
			t.Fatalf("%s: fields of other statuses must be null: %v", tc.command, r)
		}
		if r["startedAtMs"].(float64) > r["finishedAtMs"].(float64) {
			t.Fatalf("%s: times %v", tc.command, r)
		}
		if us, ok := r["runUs"].(float64); !ok || us < 0 || us > 1000*(r["finishedAtMs"].(float64)-r["startedAtMs"].(float64)+1) {
			t.Fatalf("%s: runUs must fit the ms times: %v", tc.command, r)
		}
	}
	h.call("slow", "sleep:30", 5000)
	if us := h.result("slow")["runUs"].(float64); us < 30_000 || us > 5_000_000 {
		t.Fatalf("a 30 ms call took %v µs", us)
	}
}

func TestFunctionRuntimeGetsContextEnvAndCode(t *testing.T) {
	h := startFunctions(t, fnOptions{env: map[string]string{"EXTRA": "yes", "HOME": "/elsewhere"}})
	h.expectLoaded()
	h.send(map[string]any{"type": "call", "taskId": "task-1", "attempt": 3, "payloadB64": b64("ctx"),
		"labels": map[string]string{"b": "2", "a": "1"}, "timeoutMs": 5000, "deadlineMs": 1234})
	var ctx map[string]string
	if err := json.Unmarshal([]byte(decoded(t, h.result("task-1"), "valueB64")), &ctx); err != nil {
		t.Fatal(err)
	}
	wantLabels := b64("a") + ":" + b64("1") + "," + b64("b") + ":" + b64("2")
	if ctx["taskId"] != b64("task-1") || ctx["attempt"] != "3" || ctx["deadlineMs"] != "1234" || ctx["labels"] != wantLabels {
		t.Fatalf("C line fields: %v", ctx)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(h.value("e", "env")), &env); err != nil {
		t.Fatal(err)
	}
	if env["cwd"] != filepath.Join(h.taskDir, "code") || env["handler"] != "app.txt:handle" ||
		env["home"] != "/tmp" || env["out"] != filepath.Join(h.taskDir, "out") || env["extra"] != "yes" {
		t.Fatalf("runtime environment: %v", env)
	}
}

func TestFunctionHandlerErrorKeepsTheRuntime(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	pid := h.value("p1", "pid")
	h.call("e", "error:bad input", 5000)
	r := h.result("e")
	if r["status"] != "error" || r["errorMessage"] != "bad input" || r["errorStack"] != "at handle()" || r["valueKind"] != nil {
		t.Fatalf("error result %v", r)
	}
	if got := h.value("p2", "pid"); got != pid {
		t.Fatalf("an error must not replace the runtime: %s then %s", pid, got)
	}
	if got := h.value("c", "counter"); got != "1" {
		t.Fatalf("counter %s", got)
	}
	if got := h.value("c2", "counter"); got != "2" {
		t.Fatalf("globals must persist between calls: counter %s", got)
	}
}

func TestFunctionTimeoutGivesTheNextCallAFreshRuntime(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	pid := h.value("p1", "pid")
	h.value("c1", "counter")
	h.value("w", "tmp-write")
	h.call("slow", "sleep:10000", 300)
	h.call("after", "counter", 5000) // queued behind the slow call
	begin := time.Now()
	r := h.result("slow")
	if took := time.Since(begin); took > 3*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	if r["status"] != "timeout" || r["signal"] != "SIGKILL" || r["valueKind"] != nil {
		t.Fatalf("timeout result %v", r)
	}
	if r := h.result("after"); r["status"] != "ok" || decoded(t, r, "valueB64") != "1" {
		t.Fatalf("the queued call must run in a fresh runtime: %v", r)
	}
	if got := h.value("p2", "pid"); got == pid {
		t.Fatal("the runtime was not replaced")
	}
	if got := h.value("l", "tmp-list"); got != "0" {
		t.Fatalf("/tmp must be emptied for the fresh runtime, %s entries left", got)
	}
	old, _ := strconv.Atoi(pid)
	if err := syscall.Kill(old, 0); err == nil {
		t.Fatalf("the timed-out runtime %d still exists", old)
	}
}

func TestFunctionCrashMidCall(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	h.call("a", "print:before|", 5000)
	h.result("a")
	h.call("boom", "crash", 5000)
	r := h.result("boom")
	if r["status"] != "crash" || r["exitCode"] != float64(3) || r["signal"] != nil || decoded(t, r, "stderrB64") != "dying" {
		t.Fatalf("crash result %v", r)
	}
	if got := h.value("next", "string:fine"); got != "fine" {
		t.Fatalf("after a crash: %q", got)
	}
	h.call("closer", "close-replies", 5000)
	if r := h.result("closer"); r["status"] != "crash" || r["signal"] != "SIGKILL" {
		t.Fatalf("a runtime that closes fd 4 crashed: %v", r)
	}
	h.call("g", "garbage", 5000)
	if r := h.result("g"); r["status"] != "crash" || !strings.Contains(r["errorMessage"].(string), "protocol violation") {
		t.Fatalf("a reply that breaks the protocol: %v", r)
	}
	if got := h.value("last", "counter"); got != "1" {
		t.Fatalf("after the crashes: %q", got)
	}
}

func TestFunctionCancelQueuedAndRunning(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	h.call("running", "sleep:10000", 20000)
	h.call("queued", "string:never", 5000)
	h.call("last", "string:ran", 5000)
	time.Sleep(100 * time.Millisecond)
	h.cancel("queued")
	r := h.result("queued")
	if r["status"] != "cancelled" || r["startedAtMs"] != nil || r["finishedAtMs"] != nil || r["runUs"] != nil {
		t.Fatalf("a queued call is cancelled at once, never started: %v", r)
	}
	h.cancel("running")
	r = h.result("running")
	if r["status"] != "cancelled" || r["signal"] != "SIGKILL" || r["startedAtMs"] == nil || r["runUs"] == nil {
		t.Fatalf("cancel of the running call: %v", r)
	}
	if r := h.result("last"); r["status"] != "ok" || decoded(t, r, "valueB64") != "ran" {
		t.Fatalf("the call after a cancel: %v", r)
	}
	h.cancel("unknown") // nothing to cancel: no frame
	if got := h.value("after", "string:x"); got != "x" {
		t.Fatal(got)
	}
}

func TestFunctionOutputIsAttributedToItsCall(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	h.call("one", "print:one-out|one-err", 5000)
	h.call("two", "print:two-out|two-err", 5000)
	h.call("late", "late:written-after-the-marker", 5000)
	h.call("three", "null", 5000)
	for _, want := range []struct{ id, out, err string }{
		{"one", "one-out", "one-err"}, {"two", "two-out", "two-err"},
		{"late", "", ""}, {"three", "written-after-the-marker", ""},
	} {
		r := h.result(want.id)
		if decoded(t, r, "stdoutB64") != want.out || decoded(t, r, "stderrB64") != want.err {
			t.Fatalf("%s: stdout %q stderr %q", want.id, decoded(t, r, "stdoutB64"), decoded(t, r, "stderrB64"))
		}
		if r["stdoutBytes"] != float64(len(want.out)) || r["stdoutTruncated"] != false {
			t.Fatalf("%s: counts %v", want.id, r)
		}
	}
}

func TestFunctionOutputCaps(t *testing.T) {
	h := startFunctions(t, fnOptions{stdoutCap: 10, stderrCap: 5})
	h.expectLoaded()
	h.call("big", "big:100000", 5000)
	r := h.result("big")
	if decoded(t, r, "stdoutB64") != strings.Repeat("o", 10) || r["stdoutBytes"] != float64(100000) || r["stdoutTruncated"] != true {
		t.Fatalf("stdout cap: %v", r)
	}
	if decoded(t, r, "stderrB64") != "eeeee" || r["stderrBytes"] != float64(100000) || r["stderrTruncated"] != true {
		t.Fatalf("stderr cap: %v", r)
	}
	h.call("small", "print:abc|", 5000)
	if r := h.result("small"); decoded(t, r, "stdoutB64") != "abc" || r["stdoutTruncated"] != false {
		t.Fatalf("the cap applies per call: %v", r)
	}
}

func TestFunctionLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		opts         fnOptions
		reason, tail string
	}{
		"missing file":  {fnOptions{handler: "nope.js:handle"}, "cannot load nope.js\nat load()", "loading nope.js failed"},
		"no runtime":    {fnOptions{runtime: "/nonexistent/start"}, "this stack has no function runtime", ""},
		"load timeout":  {fnOptions{handler: "app.txt:slowload", loadTimeout: 300}, "did not load within 300 ms", ""},
		"exit":          {fnOptions{handler: "app.txt:exitload"}, "ended before loading the handler (exit code 3)", "exiting while loading"},
		"stderr's tail": {fnOptions{handler: "app.txt:noisyload", stderrCap: 20, stdoutCap: 20}, "noisy", strings.Repeat("x", 13) + "THE END"},
	} {
		t.Run(name, func(t *testing.T) {
			h := startFunctions(t, tc.opts)
			f := h.next()
			if f["type"] != "load-error" || !strings.Contains(f["reason"].(string), tc.reason) || decoded(t, f, "stderrB64") != tc.tail {
				t.Fatalf("load error %v (stderr %q)", f, decoded(t, f, "stderrB64"))
			}
			h.ended()
		})
	}
}

func TestFunctionReloadFailureEndsTheSession(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	h.value("rm", "rm:app.txt") // the handler's file is gone: the next load fails
	h.call("boom", "crash", 5000)
	h.call("queued", "null", 5000)
	if r := h.result("boom"); r["status"] != "crash" {
		t.Fatalf("crash %v", r)
	}
	if f := h.next(); f["type"] != "load-error" || !strings.Contains(f["reason"].(string), "cannot load app.txt") {
		t.Fatalf("want load-error after the failed reload, got %v", f)
	}
	if f := h.next(); f != nil {
		t.Fatalf("queued calls get no result after a failed reload: %v", f)
	}
	h.ended()
}

func TestFunctionMalformedCallIsAnErrorResult(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	h.send(map[string]any{"type": "call", "taskId": "bad", "attempt": 1, "timeoutMs": 0, "deadlineMs": 1})
	if r := h.result("bad"); r["status"] != "error" || !strings.Contains(r["errorMessage"].(string), "timeoutMs") {
		t.Fatalf("malformed call %v", r)
	}
	h.send(map[string]any{"type": "nonsense"})
	if got := h.value("ok", "string:still"); got != "still" {
		t.Fatal(got)
	}
}

func TestFunctionStdinEndKillsTheRuntime(t *testing.T) {
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	pid, _ := strconv.Atoi(h.value("p", "pid"))
	h.call("slow", "sleep:10000", 20000)
	time.Sleep(50 * time.Millisecond)
	h.stdin.Close()
	h.ended()
	if f := h.next(); f != nil {
		t.Fatalf("nothing more after stdin ended: %v", f)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("runtime %d survived the end of stdin", pid)
	}
}

func TestServeEntersFunctionModeOnlyOnAFunctionFirstFrame(t *testing.T) {
	var got string
	frames := runSessionWith(t, `{"type":"function","handler":"x"}`+"\n", func(first []byte) { got = string(first) })
	if len(frames) != 1 || frames[0]["type"] != "ready" || !strings.Contains(got, `"function"`) {
		t.Fatalf("frames %v, function got %q", frames, got)
	}
	got = ""
	frames = runSessionWith(t, taskLine(t, "echo task", nil), func(first []byte) { got = string(first) })
	if got != "" || len(results(frames)) != 1 {
		t.Fatalf("a task frame must run as a task: %v", frames)
	}
}

func TestFunctionProgressBecomesLiveFramesOfItsCall(t *testing.T) {
	h := startFunctions(t, fnOptions{liveMs: 30})
	h.expectLoaded()
	h.call("p1", "progress:10,50,90", 5000)
	var pcts []float64
	for {
		f := h.next()
		if f["type"] == "result" {
			if f["taskId"] != "p1" || f["status"] != "ok" {
				t.Fatalf("result %v", f)
			}
			break
		}
		if f["type"] != "live" || f["taskId"] != "p1" {
			t.Fatalf("unexpected frame %v", f)
		}
		p := f["progress"].(map[string]any)
		pcts = append(pcts, p["pct"].(float64))
		if p["msg"] != fmt.Sprintf("at %g", p["pct"]) {
			t.Fatalf("progress %v", p)
		}
	}
	if len(pcts) != 3 || pcts[0] != 10 || pcts[2] != 90 {
		t.Fatalf("progress seen %v", pcts)
	}
	// Without a live interval the same call streams nothing.
	h2 := startFunctions(t, fnOptions{})
	h2.expectLoaded()
	h2.call("p2", "progress:10", 5000)
	if f := h2.next(); f["type"] != "result" {
		t.Fatalf("want only the result, got %v", f)
	}
}

func TestFunctionFramesTravelOnTheCallSocket(t *testing.T) {
	h := startFunctions(t, fnOptions{callSocket: "listen"})
	if h.hello["type"] != "hello" || h.hello["token"] != "token-1" {
		t.Fatalf("hello %v", h.hello)
	}
	h.expectLoaded()
	if v := h.value("a", "string:over the socket"); v != "over the socket" {
		t.Fatalf("value %q", v)
	}
	h.call("slow", "sleep:10000", 20000)
	h.cancel("slow")
	if r := h.result("slow"); r["status"] != "cancelled" {
		t.Fatalf("cancel over the socket: %v", r)
	}
	if n := h.stdoutLines.Load(); n != 0 {
		t.Fatalf("%d frames went to stdout in socket mode", n)
	}
	// stdin ending still ends the session (the executor dropped the attach connection).
	h.stdin.Close()
	h.ended()
}

func TestFunctionCallSocketClosedEndsTheSession(t *testing.T) {
	h := startFunctions(t, fnOptions{callSocket: "listen"})
	h.expectLoaded()
	pid, _ := strconv.Atoi(h.value("p", "pid"))
	h.conn.Close()
	h.ended()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("runtime %d survived the end of the call socket", pid)
	}
}

func TestFunctionUnreachableCallSocketKeepsStdio(t *testing.T) {
	h := startFunctions(t, fnOptions{callSocket: filepath.Join(t.TempDir(), "nobody.sock")})
	h.expectLoaded()
	if v := h.value("a", "string:still on stdio"); v != "still on stdio" {
		t.Fatalf("value %q", v)
	}
}
