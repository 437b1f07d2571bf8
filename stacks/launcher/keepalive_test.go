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
	serve(in, emit, &Cleaner{TaskDir: dir, TmpDir: tmp}, nil)
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
	c := &Cleaner{TaskDir: t.TempDir(), TmpDir: filepath.Join(t.TempDir(), "not-a-dir")}
	if err := os.WriteFile(c.TmpDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Clean(); err == nil {
		t.Fatal("want an error for an unreadable tmp dir")
	}
}

// writeTree creates the files (with their parent directories) under root.
func writeTree(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestCleanRemovesTaskLeftoversAndSharedMemoryButKeepsCode(t *testing.T) {
	task, tmp, shm := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, task, "code/app.sh", "out/result.txt", "payload", "leak.txt", "hidden/deep/leak")
	writeTree(t, shm, "leak.txt", "sem.lock")
	writeTree(t, tmp, "cache/x")
	if err := os.Chmod(filepath.Join(task, "hidden", "deep"), 0o500); err != nil {
		t.Fatal(err)
	}
	c := &Cleaner{TaskDir: task, TmpDir: tmp, ShmDir: shm}
	if err := c.Clean(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, task), ","); got != "code,out" {
		t.Fatalf("task dir after cleanup: %s", got)
	}
	if got := names(t, filepath.Join(task, "code")); len(got) != 1 || got[0] != "app.sh" {
		t.Fatalf("code must survive: %v", got)
	}
	for _, dir := range []string{filepath.Join(task, "out"), tmp, shm} {
		if got := names(t, dir); len(got) != 0 {
			t.Fatalf("%s not emptied: %v", dir, got)
		}
	}
}

func TestKeepAliveNextTaskSeesNoLeftoversInTaskDirOrShm(t *testing.T) {
	dir, tmp, shm := t.TempDir(), t.TempDir(), t.TempDir()
	first := taskLine(t, `echo a > $TASK_DIR/leak.txt; mkdir $TASK_DIR/sub; echo b > `+shm+`/leak.txt`,
		map[string]any{"keepAlive": true})
	second := taskLine(t, `ls -A $TASK_DIR; ls -A `+shm, nil)
	var frames []map[string]any
	emit := func(v any) {
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		frames = append(frames, m)
	}
	serve(bufio.NewReader(strings.NewReader(first+second)), emit, &Cleaner{TaskDir: dir, TmpDir: tmp, ShmDir: shm}, nil)
	res := results(frames)
	if len(res) != 2 {
		t.Fatalf("frames %v", frames)
	}
	if got := stdoutOf(t, res[1]); got != "code\nout\npayload\n" {
		t.Fatalf("second task saw leftovers: %q", got)
	}
}
