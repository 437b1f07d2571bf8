package main

import (
	"testing"
	"time"
)

func TestQueueIsFifoAndCancelsQueuedAndRunning(t *testing.T) {
	q := newCallQueue()
	for _, id := range []string{"a", "b", "c", "b"} {
		q.push(&CallFrame{TaskID: id})
	}
	stop := make(chan struct{})
	if c := q.pop(stop); c.TaskID != "a" {
		t.Fatalf("first %s", c.TaskID)
	}
	if dropped := q.cancel("b"); len(dropped) != 2 {
		t.Fatalf("both queued b dropped, got %d", len(dropped))
	}
	select {
	case <-q.cancelRunning:
		t.Fatal("cancel of a queued call must not signal the running one")
	default:
	}
	q.cancel("a")
	select {
	case <-q.cancelRunning:
	default:
		t.Fatal("cancel of the running call must be signalled")
	}
	q.cancel("a")
	q.finish() // a late cancel must not reach the next call
	if c := q.pop(stop); c.TaskID != "c" {
		t.Fatalf("next %s", c.TaskID)
	}
	select {
	case <-q.cancelRunning:
		t.Fatal("a stale cancel reached the next call")
	default:
	}
	go func() { time.Sleep(20 * time.Millisecond); close(stop) }()
	if c := q.pop(stop); c != nil {
		t.Fatalf("pop after stop: %v", c)
	}
}
