package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// strayReapWait bounds how long the launcher waits for killed leftover processes to be reaped.
const strayReapWait = 2 * time.Second

// Cleaner resets the container between two tasks of a keep-alive session: leftover processes
// are killed and reaped; everything under TaskDir except code/ (the payload, files a task left
// next to it, the contents of out/), and the contents of TmpDir and ShmDir are removed.
// /task/code stays; the next frame decides whether it is reused or replaced.
type Cleaner struct {
	TaskDir string
	TmpDir  string
	// ShmDir is the container's /dev/shm (docker's per-container tmpfs); "" leaves it alone.
	ShmDir string
	// KillStrays kills every process but the launcher itself (only meaningful as PID 1 of the
	// container's PID namespace, where every other process belongs to a task).
	KillStrays bool
}

// Clean returns an error when the container cannot be brought back to a clean state; the
// launcher then exits instead of announcing readiness, and the executor discards the container.
func (c *Cleaner) Clean() error {
	if c.KillStrays {
		killStrays()
	}
	errs := []error{emptyDirExcept(c.TaskDir, "code", "out"), emptyDir(filepath.Join(c.TaskDir, "out"))}
	for _, dir := range []string{c.TmpDir, c.ShmDir} {
		if dir != "" {
			errs = append(errs, emptyDir(dir))
		}
	}
	return errors.Join(errs...)
}

// emptyDir removes everything inside dir (dir itself may be a mount point and stays).
func emptyDir(dir string) error {
	return emptyDirExcept(dir)
}

// emptyDirExcept removes everything inside dir but the entries named in keep. A missing dir is
// already empty.
func emptyDirExcept(dir string, keep ...string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot list %s: %v", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if slices.Contains(keep, e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		_ = makeWritable(p)
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("cannot remove %s: %v", p, err))
		}
	}
	return errors.Join(errs...)
}

// makeWritable restores owner permissions on a tree so that a task that chmod-ed its files
// read-only cannot make them survive into the next task.
func makeWritable(p string) error {
	return filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		if info.IsDir() {
			return os.Chmod(path, 0o700)
		}
		return nil
	})
}

// killStrays SIGKILLs every other process of the PID namespace and reaps them (they were
// re-parented to the launcher, PID 1), so nothing of a task outlives it. One pass over /proc is
// not enough: a process forking while the pass runs (a daemon's `sh -c` starting its child) has
// a child the listing did not contain. So passes repeat until one finds no other process (or
// strayReapWait passed); zombies count as found until they are reaped.
func killStrays() {
	self := os.Getpid()
	deadline := time.Now().Add(strayReapWait)
	for {
		found := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self {
				continue
			}
			found++
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err != nil || pid <= 0 {
				break
			}
		}
		if found == 0 || !time.Now().Before(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
