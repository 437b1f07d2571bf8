package main

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// segment is the part of a runtime's stdout or stderr that belongs to one call.
type segment struct {
	kept  []byte // at most the cap
	total int64  // bytes produced
}

// streamSplitter reads one output stream (fd 1 or fd 2) of a runtime for its whole life and cuts
// it into per-call segments at the end markers (docs/function-runtimes.md §2): the bytes after
// the previous call's marker up to this call's marker belong to this call; the marker itself is
// dropped. End of the stream counts as the marker of the call waiting for one. Safe for one
// reading goroutine (run) and one caller (expect, await, takeAfterEOF) at a time.
type streamSplitter struct {
	mu       sync.Mutex
	capBytes int64
	// tailMode keeps the last capBytes instead of the first (while the handler loads, so that a
	// load error shows the end of what the runtime said).
	tailMode bool
	cur      segment
	// pending holds read bytes that may be the start of the expected marker.
	pending []byte
	scratch []byte
	marker  []byte // the expected marker, nil when none
	found   bool   // the expected marker (or EOF) arrived; result holds the call's segment
	result  segment
	eof     bool
	signal  chan struct{} // buffered 1: "found" may have changed
	done    chan struct{} // closed when the stream ended
}

func newStreamSplitter(capBytes int64, tailMode bool) *streamSplitter {
	return &streamSplitter{capBytes: capBytes, tailMode: tailMode, signal: make(chan struct{}, 1), done: make(chan struct{})}
}

// run reads r until it ends (or is closed), then records the end of the stream.
func (s *streamSplitter) run(r io.Reader) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	s.add(s.pending)
	s.pending = s.pending[:0]
	s.eof = true
	if s.marker != nil {
		s.complete()
	}
	s.mu.Unlock()
	close(s.done)
}

func (s *streamSplitter) feed(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marker == nil {
		s.add(p)
		return
	}
	data := p
	if len(s.pending) > 0 {
		s.scratch = append(append(s.scratch[:0], s.pending...), p...)
		s.pending = s.pending[:0]
		data = s.scratch
	}
	if i := bytes.Index(data, s.marker); i >= 0 {
		end := i + len(s.marker)
		s.add(data[:i])
		s.complete()
		s.add(data[end:]) // already the next call's bytes
		return
	}
	k := markerPrefixStart(data, s.marker)
	s.add(data[:k])
	s.pending = append(s.pending, data[k:]...)
}

// markerPrefixStart returns where the longest suffix of data that could begin the marker starts
// (len(data) when none).
func markerPrefixStart(data, marker []byte) int {
	from := len(data) - (len(marker) - 1)
	if from < 0 {
		from = 0
	}
	for j := from; j < len(data); j++ {
		if data[j] == marker[0] && bytes.HasPrefix(marker, data[j:]) {
			return j
		}
	}
	return len(data)
}

// add appends to the current segment within the cap (counting everything). Caller holds mu.
func (s *streamSplitter) add(p []byte) {
	if len(p) == 0 {
		return
	}
	s.cur.total += int64(len(p))
	if s.tailMode {
		s.cur.kept = append(s.cur.kept, p...)
		if over := int64(len(s.cur.kept)) - s.capBytes; over > 0 {
			s.cur.kept = append(s.cur.kept[:0], s.cur.kept[over:]...)
		}
		return
	}
	if room := s.capBytes - int64(len(s.cur.kept)); room > 0 {
		if int64(len(p)) > room {
			p = p[:room]
		}
		s.cur.kept = append(s.cur.kept, p...)
	}
}

// complete hands the current segment over as the call's result. Caller holds mu.
func (s *streamSplitter) complete() {
	s.result, s.cur = s.cur, segment{}
	s.marker, s.found = nil, true
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// expect sets the marker of the call about to be written to the runtime. The head-capped mode
// applies from here on.
func (s *streamSplitter) expect(marker []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tailMode = false
	s.found = false
	if s.eof {
		s.complete()
		return
	}
	s.marker = marker
}

// await returns the call's segment once its marker (or the end of the stream) arrived, or when
// expired fires (or *gaveUp is already set: an earlier stream of the same call used the time up);
// then it cuts the segment where the stream is and sets *gaveUp.
func (s *streamSplitter) await(expired <-chan time.Time, gaveUp *bool) segment {
	for {
		s.mu.Lock()
		if s.found {
			seg := s.result
			s.result, s.found = segment{}, false
			s.mu.Unlock()
			return seg
		}
		if *gaveUp {
			s.add(s.pending)
			s.pending = s.pending[:0]
			s.complete()
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-expired:
			*gaveUp = true
		}
	}
}

// takeAfterEOF waits up to limit for the stream to end and returns everything since the last
// marker (the load phase, or a runtime that died).
func (s *streamSplitter) takeAfterEOF(limit time.Duration) segment {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(s.pending)
	s.pending = s.pending[:0]
	seg := s.cur
	if s.found {
		seg = s.result
	}
	s.cur, s.result, s.found, s.marker = segment{}, segment{}, false, nil
	return seg
}
