package main

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"
)

type frameSink struct {
	mu     sync.Mutex
	frames []*LiveFrame
}

func (s *frameSink) emit(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, v.(*LiveFrame))
}

func (s *frameSink) all() []*LiveFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*LiveFrame(nil), s.frames...)
}

func TestLiveFeedCoalescesWithinAnInterval(t *testing.T) {
	sink := &frameSink{}
	feed := newLiveFeed(sink.emit, "t1", 50, 1<<20, 1<<20)
	for i := 0; i < 100; i++ {
		feed.writeStdout([]byte("x"))
	}
	feed.writeStderr([]byte("e"))
	pct := 10.0
	feed.report(LiveProgress{Pct: &pct, Msg: "a"})
	pct2 := 20.0
	feed.report(LiveProgress{Pct: &pct2, Msg: "b"})
	time.Sleep(150 * time.Millisecond)
	frames := sink.all()
	if len(frames) != 1 {
		t.Fatalf("want 1 coalesced frame, got %d", len(frames))
	}
	f := frames[0]
	out, _ := base64.StdEncoding.DecodeString(f.StdoutB64)
	if len(out) != 100 || f.StderrB64 != "ZQ==" || f.Progress == nil || *f.Progress.Pct != 20 || f.TaskID != "t1" {
		t.Fatalf("frame %+v", f)
	}
}

func TestLiveFeedRespectsCapsAndStop(t *testing.T) {
	sink := &frameSink{}
	feed := newLiveFeed(sink.emit, "", 30, 4, 0)
	feed.writeStdout([]byte("abcdefgh"))
	feed.writeStderr([]byte("never"))
	time.Sleep(100 * time.Millisecond)
	feed.writeStdout([]byte("more")) // over the cap: nothing
	feed.report(LiveProgress{Msg: "pending"})
	feed.stop() // drops the pending progress
	time.Sleep(100 * time.Millisecond)
	frames := sink.all()
	if len(frames) != 1 || frames[0].StdoutB64 != base64.StdEncoding.EncodeToString([]byte("abcd")) || frames[0].StderrB64 != "" {
		t.Fatalf("frames %+v", frames)
	}
}

func TestNilFeedIsANoOp(t *testing.T) {
	feed := newLiveFeed(func(any) { t.Fatal("emitted") }, "", 0, 10, 10)
	if feed != nil {
		t.Fatal("zero interval must give a nil feed")
	}
	feed.writeStdout([]byte("x"))
	feed.report(LiveProgress{})
	feed.stop()
}

func TestRunStreamsOutputAndProgressLive(t *testing.T) {
	sink := &frameSink{}
	r, _ := newRunner(t)
	r.Emit = sink.emit
	f := frame("sh", "-c", `echo one; echo '{"pct":25,"msg":"quarter"}' >&$BERTH_PROGRESS_FD; sleep 0.3; echo two; echo "75 three quarters" >&3; sleep 0.3`)
	f.LiveIntervalMs = 50
	res := r.Run(f)
	if res.ExitCode == nil || *res.ExitCode != 0 || decode(t, res.StdoutB64) != "one\ntwo\n" {
		t.Fatalf("result %+v", res)
	}
	frames := sink.all()
	if len(frames) < 2 {
		t.Fatalf("want live frames, got %d", len(frames))
	}
	var out string
	var pcts []float64
	for _, lf := range frames {
		out += decode(t, lf.StdoutB64)
		if lf.Progress != nil && lf.Progress.Pct != nil {
			pcts = append(pcts, *lf.Progress.Pct)
		}
	}
	if out != "one\ntwo\n" || len(pcts) != 2 || pcts[0] != 25 || pcts[1] != 75 {
		t.Fatalf("live output %q progress %v", out, pcts)
	}
}

func TestCancelHookEndsTheTaskAndKeepsItsOutput(t *testing.T) {
	r, _ := newRunner(t)
	f := frame("sh", "-c", `echo before; sleep 5; echo after`)
	go func() {
		for cancelHook.Load() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		runCancelHook()
	}()
	start := time.Now()
	res := r.Run(f)
	if !res.Cancelled || res.Signal == nil || *res.Signal != "SIGKILL" || decode(t, res.StdoutB64) != "before\n" {
		t.Fatalf("result %+v", res)
	}
	if time.Since(start) > 3*time.Second || cancelHook.Load() != nil {
		t.Fatal("cancel did not end the task promptly, or the hook stayed set")
	}
}
