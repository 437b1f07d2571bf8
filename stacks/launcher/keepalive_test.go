package main

import (
	"archive/tar"
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func taskLine(t *testing.T, script string, extra map[string]any) string {
	frame := map[string]any{
		"taskId": "t", "attempt": 1, "command": []string{"sh", "-c", script},
		"payloadB64": base64.StdEncoding.EncodeToString([]byte("P")), "timeoutMs": 2000,
		"stdoutCapBytes": 4096, "stderrCapBytes": 4096, "outputCapBytes": 4096,
	}
	for k, v := range extra {
		frame[k] = v
	}
	b, err := json.Marshal(frame)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// runSession feeds lines to serve and returns the frames it emitted.
func runSession(t *testing.T, dir, tmp string, lines ...string) []map[string]any {
	var frames []map[string]any
	emit := func(v any) {
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		frames = append(frames, m)
	}
	in := bufio.NewReader(strings.NewReader(strings.Join(lines, "")))
	serve(in, emit, &Cleaner{TaskDir: dir, TmpDir: tmp})
	return frames
}

func results(frames []map[string]any) []map[string]any {
	var out []map[string]any
	for _, f := range frames {
		if f["type"] == "result" {
			out = append(out, f)
		}
	}
	return out
}

func stdoutOf(t *testing.T, f map[string]any) string {
	b, err := base64.StdEncoding.DecodeString(f["stdoutB64"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWithoutKeepAliveOneTaskThenExit(t *testing.T) {
	dir := t.TempDir()
	frames := runSession(t, dir, "", taskLine(t, "echo one", nil), taskLine(t, "echo two", nil))
	if len(frames) != 3 || frames[0]["type"] != "ready" || frames[2]["type"] != "result" {
		t.Fatalf("frames %v", frames)
	}
	if stdoutOf(t, frames[2]) != "one\n" {
		t.Fatalf("stdout %q", stdoutOf(t, frames[2]))
	}
}

func TestKeepAliveServesTasksAndWipesBetweenThem(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	tarB64 := base64.StdEncoding.EncodeToString(makeTar(t, entry{name: "hello.sh", body: "echo code\n", kind: tar.TypeReg}))
	first := taskLine(t, `sh hello.sh; echo x > $TASK_OUT/left; echo y > `+tmp+`/left; mkdir `+tmp+`/ro; `+
		`touch `+tmp+`/ro/f; chmod 500 `+tmp+`/ro; (sleep 30 &) ; echo done`,
		map[string]any{"keepAlive": true, "codeTarB64": tarB64})
	second := taskLine(t, `sh hello.sh; ls $TASK_OUT; ls `+tmp+`; cat $PAYLOAD_FILE`,
		map[string]any{"keepAlive": true, "reuseCode": true, "payloadB64": base64.StdEncoding.EncodeToString([]byte("Q"))})
	third := taskLine(t, `ls; test -e hello.sh || echo gone`, nil)
	frames := runSession(t, dir, tmp, first, second, third)
	res := results(frames)
	if len(res) != 3 {
		t.Fatalf("want 3 results, got %v", frames)
	}
	readies := 0
	for _, f := range frames {
		if f["type"] == "ready" {
			readies++
		}
	}
	if readies != 3 {
		t.Fatalf("want a ready frame before each task, got %d", readies)
	}
	if got := stdoutOf(t, res[0]); got != "code\ndone\n" {
		t.Fatalf("first stdout %q", got)
	}
	if got := stdoutOf(t, res[1]); got != "code\nQ" {
		t.Fatalf("second task saw leftovers or lost its code: %q", got)
	}
	if got := stdoutOf(t, res[2]); got != "gone\n" {
		t.Fatalf("a frame without reuseCode must get a fresh /task/code: %q", got)
	}
}

func TestKeepAliveEndsQuietlyWhenStdinCloses(t *testing.T) {
	frames := runSession(t, t.TempDir(), "", taskLine(t, "true", map[string]any{"keepAlive": true}))
	if len(frames) != 4 || frames[3]["type"] != "ready" || len(results(frames)) != 1 {
		t.Fatalf("frames %v", frames)
	}
}

func TestCleanFailsWhenTmpCannotBeEmptied(t *testing.T) {
	dir := t.TempDir()
	c := &Cleaner{TaskDir: dir, TmpDir: filepath.Join(dir, "not-a-dir")}
	if err := os.WriteFile(c.TmpDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Clean(); err == nil {
		t.Fatal("want an error for an unreadable tmp dir")
	}
}
