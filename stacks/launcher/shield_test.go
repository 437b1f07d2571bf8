package main

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The launcher survives a shielded signal sent to itself, and a task it starts afterwards still
// has the default disposition (a child killed by SIGTERM reports SIGTERM).
func TestShieldKeepsLauncherAliveAndTasksDefault(t *testing.T) {
	caught := shieldFromSignals()
	defer signalStop(caught)
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		if err := syscall.Kill(syscall.Getpid(), s); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // still alive: the test would have died otherwise
	out, err := exec.Command("sh", "-c", "kill -TERM $$; echo not-reached").CombinedOutput()
	if err == nil || strings.Contains(string(out), "not-reached") {
		t.Fatalf("child ignored SIGTERM: err=%v out=%q", err, out)
	}
	if ws, ok := err.(*exec.ExitError).Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("child not ended by SIGTERM: %v", err)
	}
}
