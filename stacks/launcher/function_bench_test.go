package main

import (
	"strconv"
	"testing"
	"time"
)

// pipelineCalls queues n trivial calls at once and waits for their n results, in order.
func pipelineCalls(t *testing.T, h *fnHarness, n int) time.Duration {
	t.Helper()
	begin := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			h.call(strconv.Itoa(i), "print:o|", 5000)
		}
	}()
	for i := 0; i < n; i++ {
		if r := h.result(strconv.Itoa(i)); r["status"] != "ok" {
			t.Fatalf("call %d: %v", i, r)
		}
	}
	return time.Since(begin)
}

// TestFunctionThroughput measures pipelined calls per second through the launcher and the fake
// runtime (both sides of fd 3/fd 4, the markers on fd 1/fd 2 and the JSON frames included).
func TestFunctionThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput measurement")
	}
	h := startFunctions(t, fnOptions{})
	h.expectLoaded()
	pipelineCalls(t, h, 500) // warm-up
	const n = 20000
	took := pipelineCalls(t, h, n)
	rate := float64(n) / took.Seconds()
	t.Logf("%d pipelined calls in %v: %.0f calls/s", n, took, rate)
	if rate < 1000 {
		t.Fatalf("function mode must sustain thousands of calls/s, got %.0f", rate)
	}
}
