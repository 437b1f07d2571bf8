package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, link, body string
	kind             byte
}

func makeTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.kind, Mode: 0o644, Size: int64(len(e.body))}
		if e.kind != tar.TypeReg {
			h.Size = 0
		}
		if e.kind == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.kind == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestExtractTarWritesFilesDirsAndInsideLinks(t *testing.T) {
	dir := t.TempDir()
	data := makeTar(t,
		entry{name: "app/", kind: tar.TypeDir},
		entry{name: "app/main.py", body: "print(1)", kind: tar.TypeReg},
		entry{name: "app/link.py", link: "main.py", kind: tar.TypeSymlink},
		entry{name: "hard.py", link: "app/main.py", kind: tar.TypeLink},
		entry{name: "./top.txt", body: "x", kind: tar.TypeReg},
	)
	if err := extractTar(data, dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"app/main.py", "app/link.py", "hard.py"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || string(b) != "print(1)" {
			t.Fatalf("%s: %q %v", p, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "top.txt")); err != nil {
		t.Fatal(err)
	}
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	cases := map[string][]entry{
		"absolute":          {{name: "/etc/passwd", body: "x", kind: tar.TypeReg}},
		"dotdot":            {{name: "../evil", body: "x", kind: tar.TypeReg}},
		"inner dotdot":      {{name: "a/../../evil", body: "x", kind: tar.TypeReg}},
		"abs symlink":       {{name: "l", link: "/etc", kind: tar.TypeSymlink}},
		"outside symlink":   {{name: "a/l", link: "../../etc", kind: tar.TypeSymlink}},
		"through symlink":   {{name: "l", link: ".", kind: tar.TypeSymlink}, {name: "l/f", body: "x", kind: tar.TypeReg}},
		"outside hard link": {{name: "h", link: "../secret", kind: tar.TypeLink}},
		"abs hard link":     {{name: "h", link: "/etc/passwd", kind: tar.TypeLink}},
		"device":            {{name: "dev", kind: tar.TypeChar}},
	}
	for name, entries := range cases {
		parent := t.TempDir()
		dir := filepath.Join(parent, "code")
		os.Mkdir(dir, 0o755)
		err := extractTar(makeTar(t, entries...), dir)
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: expected refusal, got %v", name, err)
		}
		if _, statErr := os.Stat(filepath.Join(parent, "evil")); statErr == nil {
			t.Errorf("%s: a file escaped the code dir", name)
		}
	}
}

func TestExtractTarRejectsGarbage(t *testing.T) {
	if err := extractTar([]byte("definitely not a tar archive, but long enough to have a header block"), t.TempDir()); err == nil {
		t.Fatal("expected an error")
	}
}
