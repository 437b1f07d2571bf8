package main

import (
	"io"
	"sync"
)

// cappedBuffer keeps at most capBytes of what is written and counts everything.
type cappedBuffer struct {
	mu       sync.Mutex
	capBytes int64
	kept     []byte
	total    int64
}

func newCappedBuffer(capBytes int64) *cappedBuffer {
	return &cappedBuffer{capBytes: capBytes}
}

// Write never fails: bytes beyond the cap are counted and dropped.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	room := b.capBytes - int64(len(b.kept))
	if room > 0 {
		n := int64(len(p))
		if n > room {
			n = room
		}
		b.kept = append(b.kept, p[:n]...)
	}
	return len(p), nil
}

// Snapshot returns the kept bytes, the total produced and whether bytes were dropped.
func (b *cappedBuffer) Snapshot() ([]byte, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.kept...), b.total, b.total > int64(len(b.kept))
}

// drain copies r into b until EOF or error, then signals done.
func drain(r io.Reader, b io.Writer, done chan<- struct{}) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = b.Write(buf[:n])
		}
		if err != nil {
			break
		}
	}
	close(done)
}
