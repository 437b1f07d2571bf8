package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// frameWriter writes JSON frames, one per line, from any goroutine. One goroutine owns the
// buffered output and flushes it only when no further frame is waiting, so a burst of results
// costs one write.
type frameWriter struct {
	mu     sync.RWMutex
	closed bool
	lines  chan []byte
	done   chan struct{}
}

func newFrameWriter(w io.Writer) *frameWriter {
	fw := &frameWriter{lines: make(chan []byte, 1024), done: make(chan struct{})}
	go fw.loop(bufio.NewWriterSize(w, 64*1024))
	return fw
}

func (fw *frameWriter) loop(bw *bufio.Writer) {
	defer close(fw.done)
	failed := false
	report := func(err error) {
		if err != nil && !failed {
			failed = true
			fmt.Fprintf(os.Stderr, "berth-launcher: cannot write frame: %v\n", err)
		}
	}
	for line := range fw.lines {
		_, err := bw.Write(line)
		report(err)
		if len(fw.lines) == 0 {
			report(bw.Flush())
		}
	}
	report(bw.Flush())
}

// send encodes v and queues it; frames sent after close are dropped.
func (fw *frameWriter) send(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "berth-launcher: cannot encode frame: %v\n", err)
		return
	}
	fw.mu.RLock()
	defer fw.mu.RUnlock()
	if !fw.closed {
		fw.lines <- append(line, '\n')
	}
}

// close writes out every queued frame and stops the writer.
func (fw *frameWriter) close() {
	fw.mu.Lock()
	if !fw.closed {
		fw.closed = true
		close(fw.lines)
	}
	fw.mu.Unlock()
	<-fw.done
}
