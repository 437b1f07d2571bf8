package main

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// collectOutputs reads regular files under outDir (symlinks are not followed), sorted by their
// relative "/"-separated names, keeping whole files while their total stays within capBytes.
// Files that do not fit are left out and reported through the truncated flag.
func collectOutputs(outDir string, capBytes int64) ([]Output, bool) {
	type file struct {
		name string
		size int64
	}
	var files []file
	truncated := false
	_ = filepath.WalkDir(outDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			truncated = true
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			truncated = true
			return nil
		}
		rel, _ := filepath.Rel(outDir, p)
		files = append(files, file{filepath.ToSlash(rel), info.Size()})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	outputs := []Output{}
	var used int64
	for _, f := range files {
		if used+f.size > capBytes {
			truncated = true
			continue
		}
		data, err := os.ReadFile(filepath.Join(outDir, filepath.FromSlash(f.name)))
		if err != nil || used+int64(len(data)) > capBytes {
			truncated = true
			continue
		}
		used += int64(len(data))
		outputs = append(outputs, Output{Name: f.name, DataB64: base64.StdEncoding.EncodeToString(data)})
	}
	return outputs, truncated
}
