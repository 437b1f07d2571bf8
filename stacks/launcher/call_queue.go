package main

import "sync"

// callQueue holds the calls of a function session in arrival order and knows which one runs.
// The stdin reader pushes and cancels; the call loop pops and finishes. A cancel of the running
// call is delivered on cancelRunning (buffered 1) and never outlives that call.
type callQueue struct {
	mu            sync.Mutex
	items         []*CallFrame
	head          int
	running       string // taskId of the running call, "" when none
	cancelRunning chan struct{}
	wake          chan struct{} // buffered 1: a call was pushed
}

func newCallQueue() *callQueue {
	return &callQueue{cancelRunning: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
}

func (q *callQueue) push(c *CallFrame) {
	q.mu.Lock()
	q.items = append(q.items, c)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop returns the oldest queued call and marks it running, waiting for one; nil when stop
// closed first.
func (q *callQueue) pop(stop <-chan struct{}) *CallFrame {
	for {
		q.mu.Lock()
		if q.head < len(q.items) {
			c := q.items[q.head]
			q.items[q.head] = nil
			q.head++
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			}
			q.running = c.TaskID
			q.mu.Unlock()
			return c
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-stop:
			return nil
		}
	}
}

// finish marks the running call as done; a cancel that came too late is dropped.
func (q *callQueue) finish() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running = ""
	select {
	case <-q.cancelRunning:
	default:
	}
}

// cancel removes the queued calls with taskID (returned, for their results) and, when the
// running call has it, signals cancelRunning.
func (q *callQueue) cancel(taskID string) []*CallFrame {
	q.mu.Lock()
	defer q.mu.Unlock()
	var dropped []*CallFrame
	kept := q.items[:q.head]
	for _, c := range q.items[q.head:] {
		if c.TaskID == taskID {
			dropped = append(dropped, c)
		} else {
			kept = append(kept, c)
		}
	}
	clear(q.items[len(kept):])
	q.items = kept
	if q.running == taskID {
		select {
		case q.cancelRunning <- struct{}{}:
		default:
		}
	}
	return dropped
}
