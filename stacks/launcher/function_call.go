package main

import (
	"errors"
	"os"
	"time"
)

// Bounds of the waits around a call.
const (
	markerWait    = time.Second            // for the end markers once the reply arrived
	exitGrace     = 200 * time.Millisecond // for a reply still in fd 4 when the runtime exited
	killWait      = 2 * time.Second        // for a killed runtime to be reaped
	streamEndWait = time.Second            // for the output of an ended runtime to end too
)

// waitResult is what ended a wait for the runtime's next fd 4 line.
type waitResult int

const (
	replied      waitResult = iota
	repliesEnded            // fd 4 closed or the runtime exited without a reply
	waitTimedOut
	waitCancelled
	inputEnded // stdin ended: the session is over
)

// nextReply waits for the runtime's next fd 4 line, its end, the timeout, a cancel or the end of
// stdin.
func (r *functionRun) nextReply(timeout <-chan time.Time, cancel <-chan struct{}) ([]byte, waitResult) {
	rt := r.rt
	select {
	case line, ok := <-rt.replies:
		if !ok {
			return nil, repliesEnded
		}
		return line, replied
	case <-rt.exited:
		grace := time.NewTimer(exitGrace)
		defer grace.Stop()
		select {
		case line, ok := <-rt.replies:
			if ok {
				return line, replied
			}
		case <-grace.C:
		}
		return nil, repliesEnded
	case <-timeout:
		return nil, waitTimedOut
	case <-cancel:
		return nil, waitCancelled
	case <-r.stdinGone:
		return nil, inputEnded
	}
}

// call runs one call on the current runtime. replace says the runtime is gone or was killed and
// must be replaced before the next call; a nil result means stdin ended meanwhile.
func (r *functionRun) call(c *CallFrame) (res *CallResult, replace bool) {
	select {
	case <-r.queue.cancelRunning: // cancelled before it reached the runtime
		return cancelledWhileQueued(c.TaskID), false
	default:
	}
	rt := r.rt
	feed := newLiveFeed(r.out.send, c.TaskID, r.frame.LiveIntervalMs, 0, 0) // progress only
	r.feed.Store(feed)
	defer func() {
		r.feed.Store(nil)
		feed.stop() // before the caller sends the result frame
	}()
	marker, markerHex := r.markers.next()
	rt.stdout.expect(marker)
	rt.stderr.expect(marker)
	timeout := time.Duration(c.TimeoutMs) * time.Millisecond
	start := r.Now()
	res = &CallResult{Type: "result", TaskID: c.TaskID, StartedAtMs: msPtr(start)}
	resetTimer(r.callTimer, timeout)
	defer stopTimer(r.callTimer)

	var line []byte
	outcome := replied
	if err := rt.send(c, markerHex, start.Add(timeout)); errors.Is(err, os.ErrDeadlineExceeded) {
		outcome = waitTimedOut
	} else if err != nil {
		outcome = repliesEnded // the runtime no longer reads fd 3
	} else {
		line, outcome = r.nextReply(r.callTimer.C, r.queue.cancelRunning)
	}
	if outcome == inputEnded {
		return nil, true
	}
	if outcome == replied {
		rep, err := parseReply(line)
		if err == nil && rep.kind != 'L' {
			r.fillReply(res, rep, start)
			return res, false
		}
		if err == nil {
			err = errors.New("L during a call")
		}
		logf("runtime protocol violation, replacing it: %v", err)
		res.ErrorMessage = strPtr("runtime protocol violation: " + err.Error())
		outcome = repliesEnded
	}
	rt.kill(killWait)
	res.Status = failureStatus(outcome, rt)
	rt.exit(res)
	res.setStreams(rt.stdout.takeAfterEOF(streamEndWait), rt.stderr.takeAfterEOF(streamEndWait))
	res.finish(start, r.Now())
	return res, true
}

// fillReply completes the result of a call the runtime answered: value or error, then the
// call's stdout/stderr up to their end markers.
func (r *functionRun) fillReply(res *CallResult, rep reply, start time.Time) {
	if rep.kind == 'R' {
		res.Status, res.ValueKind, res.ValueB64 = statusOK, strPtr(rep.valueKind), strPtr(rep.valueB64)
	} else {
		res.Status, res.ErrorMessage, res.ErrorStack = statusError, strPtr(rep.message), strPtr(rep.stack)
	}
	resetTimer(r.markerTimer, markerWait)
	gaveUp := false
	out := r.rt.stdout.await(r.markerTimer.C, &gaveUp)
	errs := r.rt.stderr.await(r.markerTimer.C, &gaveUp)
	stopTimer(r.markerTimer)
	res.setStreams(out, errs)
	res.finish(start, r.Now())
}

// failureStatus names how a call that got no (valid) reply ended.
func failureStatus(outcome waitResult, rt *runtimeProcess) string {
	switch outcome {
	case waitTimedOut:
		return statusTimeout
	case waitCancelled:
		return statusCancelled
	}
	if rt.oomKilled() {
		return statusOOM
	}
	return statusCrash
}

func msPtr(t time.Time) *int64 {
	ms := nowMs(t)
	return &ms
}

// stoppedTimer is a timer that has not been started (Reset starts it).
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	stopTimer(t)
	return t
}

// stopTimer stops t and drains a value it may have sent, so the next Reset starts clean.
func stopTimer(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	stopTimer(t)
	t.Reset(d)
}
