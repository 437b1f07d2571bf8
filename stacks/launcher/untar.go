package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// extractTar unpacks a tar archive into dir (which must exist). Entries that would escape dir
// are refused: absolute names, names with "..", names reached through a symlink, symlinks or
// hard links whose target lies outside dir, and device/fifo entries. On refusal the error says
// which entry.
func extractTar(data []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bad tar: %v", err)
		}
		if err := extractEntry(tr, hdr, dir); err != nil {
			return err
		}
	}
}

// safeRel validates an archive name and returns it cleaned and relative ("" for the root).
func safeRel(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("tar entry %q refused: absolute or empty path", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("tar entry %q refused: path escapes /task/code", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// noSymlinkParents refuses a path whose parent directories (inside dir) include a symlink, so
// nothing is ever written through a link.
func noSymlinkParents(dir, rel string) error {
	parts := strings.Split(rel, "/")
	cur := dir
	for _, p := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, p)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("tar entry %q refused: goes through a symlink", rel)
		}
	}
	return nil
}

func extractEntry(tr *tar.Reader, hdr *tar.Header, dir string) error {
	rel, err := safeRel(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "" {
		return nil
	}
	if err := noSymlinkParents(dir, rel); err != nil {
		return err
	}
	target := filepath.Join(dir, rel)
	mode := os.FileMode(hdr.Mode).Perm() | 0o200 // the owner (the task) can always write its code
	switch hdr.Typeflag {
	case tar.TypeDir:
		return mkdirIfAbsent(target, mode|0o700)
	case tar.TypeReg, tar.TypeRegA:
		return writeRegular(tr, dir, rel, target, mode)
	case tar.TypeSymlink:
		return makeSymlink(hdr, rel, dir, target)
	case tar.TypeLink:
		return makeHardlink(hdr, dir, target)
	case tar.TypeXGlobalHeader, tar.TypeXHeader:
		return nil
	default:
		return fmt.Errorf("tar entry %q refused: unsupported type %q", hdr.Name, hdr.Typeflag)
	}
}

func mkdirIfAbsent(target string, mode os.FileMode) error {
	fi, err := os.Lstat(target)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return fmt.Errorf("tar entry %q refused: exists and is not a directory", target)
	}
	return os.MkdirAll(target, mode)
}

func writeRegular(r io.Reader, dir, rel, target string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if err := noSymlinkParents(dir, rel); err != nil {
		return err
	}
	_ = os.Remove(target) // replace, never write through an existing link
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// insideLexically reports whether joining base and p stays under dir.
func insideLexically(dir, joined string) bool {
	return joined == dir || strings.HasPrefix(joined, dir+string(filepath.Separator))
}

func makeSymlink(hdr *tar.Header, rel, dir, target string) error {
	link := hdr.Linkname
	if link == "" || filepath.IsAbs(link) {
		return fmt.Errorf("tar entry %q refused: symlink target %q is absolute", hdr.Name, link)
	}
	resolved := filepath.Join(dir, filepath.Dir(rel), link)
	if !insideLexically(dir, resolved) {
		return fmt.Errorf("tar entry %q refused: symlink target %q points outside /task/code", hdr.Name, link)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	_ = os.Remove(target)
	return os.Symlink(link, target)
}

func makeHardlink(hdr *tar.Header, dir, target string) error {
	rel, err := safeRel(hdr.Linkname)
	if err != nil || rel == "" {
		return fmt.Errorf("tar entry %q refused: hard link target %q outside /task/code", hdr.Name, hdr.Linkname)
	}
	if err := noSymlinkParents(dir, rel); err != nil {
		return err
	}
	src := filepath.Join(dir, rel)
	fi, err := os.Lstat(src)
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("tar entry %q refused: hard link target %q is not a regular file in the archive", hdr.Name, hdr.Linkname)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	_ = os.Remove(target)
	return os.Link(src, target)
}
