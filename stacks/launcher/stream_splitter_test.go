package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

const testMarker = "\x1e0123456789abcdef0123456789abcdef\x1e"

// feedInPieces starts a splitter over a pipe and returns the writer.
func splitterOver(t *testing.T, capBytes int64) (*streamSplitter, *io.PipeWriter) {
	t.Helper()
	r, w := io.Pipe()
	s := newStreamSplitter(capBytes, false)
	go s.run(r)
	t.Cleanup(func() { w.Close() })
	return s, w
}

func awaitNow(s *streamSplitter, limit time.Duration) (segment, bool) {
	gaveUp := false
	seg := s.await(time.After(limit), &gaveUp)
	return seg, gaveUp
}

func TestSplitterFindsAMarkerSplitAcrossReads(t *testing.T) {
	s, w := splitterOver(t, 1024)
	s.expect([]byte(testMarker))
	for _, piece := range []string{"hello \x1e", "almost\x1e", " world" + testMarker[:10], testMarker[10:] + "next"} {
		io.WriteString(w, piece)
	}
	seg, gaveUp := awaitNow(s, 2*time.Second)
	if gaveUp || string(seg.kept) != "hello \x1ealmost\x1e world" || seg.total != int64(len(seg.kept)) {
		t.Fatalf("segment %q (gave up %v)", seg.kept, gaveUp)
	}
	other := strings.Replace(testMarker, "0", "f", 1)
	s.expect([]byte(other))
	io.WriteString(w, testMarker+other)
	if seg, _ := awaitNow(s, 2*time.Second); string(seg.kept) != "next"+testMarker {
		t.Fatalf("bytes after a marker belong to the next call, an old marker is data: %q", seg.kept)
	}
}

func TestSplitterGivesUpAndCutsWhereTheStreamIs(t *testing.T) {
	s, w := splitterOver(t, 1024)
	s.expect([]byte(testMarker))
	io.WriteString(w, "partial"+testMarker[:5])
	seg, gaveUp := awaitNow(s, 100*time.Millisecond)
	if !gaveUp || string(seg.kept) != "partial"+testMarker[:5] {
		t.Fatalf("segment %q (gave up %v)", seg.kept, gaveUp)
	}
	// a second stream of the same call does not wait again once the time is up
	s2, _ := splitterOver(t, 1024)
	s2.expect([]byte(testMarker))
	begin := time.Now()
	if s2.await(time.After(time.Hour), &gaveUp); time.Since(begin) > 50*time.Millisecond {
		t.Fatal("waited although the call's marker time was used up")
	}
}

func TestSplitterEndOfStreamCountsAsTheMarker(t *testing.T) {
	s, w := splitterOver(t, 1024)
	s.expect([]byte(testMarker))
	io.WriteString(w, "last words")
	w.Close()
	if seg, gaveUp := awaitNow(s, 2*time.Second); gaveUp || string(seg.kept) != "last words" {
		t.Fatalf("segment %q (gave up %v)", seg.kept, gaveUp)
	}
	s.expect([]byte(testMarker))
	if seg, gaveUp := awaitNow(s, 2*time.Second); gaveUp || len(seg.kept) != 0 {
		t.Fatalf("after the end every call gets an empty segment at once: %q %v", seg.kept, gaveUp)
	}
}

func TestSplitterCapsHeadOrTail(t *testing.T) {
	head, w := splitterOver(t, 4)
	head.expect([]byte(testMarker))
	io.WriteString(w, "abcdefgh"+testMarker)
	if seg, _ := awaitNow(head, 2*time.Second); string(seg.kept) != "abcd" || seg.total != 8 {
		t.Fatalf("head cap: %q %d", seg.kept, seg.total)
	}
	r, w2 := io.Pipe()
	tail := newStreamSplitter(4, true)
	go tail.run(r)
	io.WriteString(w2, "abcdefgh")
	w2.Close()
	if seg := tail.takeAfterEOF(2 * time.Second); string(seg.kept) != "efgh" || seg.total != 8 {
		t.Fatalf("tail cap: %q %d", seg.kept, seg.total)
	}
}
