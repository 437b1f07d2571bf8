package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FunctionFrame is the executor's first frame of a function-mode session
// (docs/function-runtimes.md §1): the handler to load and the limits every call shares.
type FunctionFrame struct {
	Handler        string
	CodeTar        []byte // nil when codeTarB64 is null or absent
	Env            map[string]string
	StdoutCapBytes int64
	StderrCapBytes int64
	LoadTimeoutMs  int64
	// LiveIntervalMs > 0: forward each call's progress as live frames, at most one per interval.
	LiveIntervalMs int64
	// CallSocket, when not empty, is the executor's Unix socket (a path inside the container):
	// the session's frames then travel on a connection to it, opened with a hello carrying
	// CallToken (docs/function-runtimes.md "Call socket").
	CallSocket string
	CallToken  string
}

// CallFrame is one queued call. The payload stays base64: it goes to the runtime as it came.
type CallFrame struct {
	TaskID     string
	Attempt    int64
	PayloadB64 string
	Labels     map[string]string
	TimeoutMs  int64
	DeadlineMs int64
}

// inboundFrame is every frame the executor may write in function mode, decoded loosely.
type inboundFrame struct {
	Type           string            `json:"type"`
	Handler        *string           `json:"handler"`
	CodeTarB64     *string           `json:"codeTarB64"`
	Env            map[string]string `json:"env"`
	StdoutCapBytes *int64            `json:"stdoutCapBytes"`
	StderrCapBytes *int64            `json:"stderrCapBytes"`
	LoadTimeoutMs  *int64            `json:"loadTimeoutMs"`
	TaskID         *string           `json:"taskId"`
	Attempt        *int64            `json:"attempt"`
	PayloadB64     *string           `json:"payloadB64"`
	Labels         map[string]string `json:"labels"`
	TimeoutMs      *int64            `json:"timeoutMs"`
	DeadlineMs     *int64            `json:"deadlineMs"`
	LiveIntervalMs int64             `json:"liveIntervalMs"`
	CallSocket     string            `json:"callSocket"`
	CallToken      string            `json:"callToken"`
}

// isFunctionFrame reports whether a first frame asks for function mode ("type":"function").
func isFunctionFrame(line []byte) bool {
	var probe struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(line, &probe) == nil && probe.Type == "function"
}

// ParseFunctionFrame decodes and validates the function frame.
func ParseFunctionFrame(line []byte) (*FunctionFrame, error) {
	var raw inboundFrame
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, fmt.Errorf("malformed function frame: %v", err)
	}
	if raw.Handler == nil || *raw.Handler == "" {
		return nil, errors.New("malformed function frame: handler missing")
	}
	if err := requirePositive("loadTimeoutMs", raw.LoadTimeoutMs); err != nil {
		return nil, err
	}
	for name, v := range map[string]*int64{"stdoutCapBytes": raw.StdoutCapBytes, "stderrCapBytes": raw.StderrCapBytes} {
		if v == nil || *v < 0 {
			return nil, fmt.Errorf("malformed function frame: %s must be a number >= 0", name)
		}
	}
	f := &FunctionFrame{
		Handler: *raw.Handler, Env: raw.Env, LoadTimeoutMs: *raw.LoadTimeoutMs,
		StdoutCapBytes: *raw.StdoutCapBytes, StderrCapBytes: *raw.StderrCapBytes,
		LiveIntervalMs: raw.LiveIntervalMs, CallSocket: raw.CallSocket, CallToken: raw.CallToken,
	}
	if f.CallSocket != "" && f.CallToken == "" {
		return nil, errors.New("malformed function frame: callSocket without callToken")
	}
	if raw.CodeTarB64 != nil {
		var err error
		if f.CodeTar, err = base64.StdEncoding.DecodeString(*raw.CodeTarB64); err != nil {
			return nil, fmt.Errorf("malformed function frame: codeTarB64: %v", err)
		}
	}
	return f, nil
}

// parseCallFrame validates a decoded "call" frame. scratch is reused to check the payload's
// base64 without keeping the decoded bytes; the grown buffer is returned.
func parseCallFrame(raw *inboundFrame, scratch []byte) (*CallFrame, []byte, error) {
	if raw.TaskID == nil || *raw.TaskID == "" {
		return nil, scratch, errors.New("malformed call frame: taskId missing")
	}
	if raw.Attempt == nil || raw.DeadlineMs == nil {
		return nil, scratch, errors.New("malformed call frame: attempt and deadlineMs must be numbers")
	}
	if err := requirePositive("timeoutMs", raw.TimeoutMs); err != nil {
		return nil, scratch, fmt.Errorf("malformed call frame: %v", err)
	}
	c := &CallFrame{
		TaskID: *raw.TaskID, Attempt: *raw.Attempt, Labels: raw.Labels,
		TimeoutMs: *raw.TimeoutMs, DeadlineMs: *raw.DeadlineMs,
	}
	if raw.PayloadB64 != nil {
		c.PayloadB64 = *raw.PayloadB64
		if n := base64.StdEncoding.DecodedLen(len(c.PayloadB64)); cap(scratch) < n {
			scratch = make([]byte, n)
		}
		if _, err := base64.StdEncoding.Decode(scratch[:cap(scratch)], []byte(c.PayloadB64)); err != nil {
			return nil, scratch, fmt.Errorf("malformed call frame: payloadB64: %v", err)
		}
	}
	return c, scratch, nil
}

// CallResult is the "result" frame of one call. Fields that do not apply to its status are null.
type CallResult struct {
	Type            string  `json:"type"`
	TaskID          string  `json:"taskId"`
	Status          string  `json:"status"`
	ValueKind       *string `json:"valueKind"`
	ValueB64        *string `json:"valueB64"`
	ErrorMessage    *string `json:"errorMessage"`
	ErrorStack      *string `json:"errorStack"`
	ExitCode        *int    `json:"exitCode"`
	Signal          *string `json:"signal"`
	StdoutB64       string  `json:"stdoutB64"`
	StdoutTruncated bool    `json:"stdoutTruncated"`
	StdoutBytes     int64   `json:"stdoutBytes"`
	StderrB64       string  `json:"stderrB64"`
	StderrTruncated bool    `json:"stderrTruncated"`
	StderrBytes     int64   `json:"stderrBytes"`
	StartedAtMs     *int64  `json:"startedAtMs"`
	FinishedAtMs    *int64  `json:"finishedAtMs"`
	// RunUs is the call's duration in microseconds on the monotonic clock (call written to the
	// runtime → reply and output markers read); null for a call cancelled while queued.
	RunUs *int64 `json:"runUs"`
}

// finish stamps the call's end: finishedAtMs, and runUs since start.
func (res *CallResult) finish(start, end time.Time) {
	res.FinishedAtMs = msPtr(end)
	us := end.Sub(start).Microseconds()
	res.RunUs = &us
}

// Call statuses.
const (
	statusOK        = "ok"
	statusError     = "error"
	statusTimeout   = "timeout"
	statusOOM       = "oom"
	statusCrash     = "crash"
	statusCancelled = "cancelled"
)

// LoadedFrame says the runtime loaded the handler.
type LoadedFrame struct {
	Type string `json:"type"`
	AtMs int64  `json:"atMs"`
}

// LoadErrorFrame says the handler could not be (re)loaded; the launcher exits after it.
type LoadErrorFrame struct {
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	StderrB64 string `json:"stderrB64"`
}

func loadError(reason string, stderr []byte) *LoadErrorFrame {
	return &LoadErrorFrame{Type: "load-error", Reason: reason, StderrB64: base64.StdEncoding.EncodeToString(stderr)}
}

// setStreams fills the result's stdout/stderr fields from the two segments of the call.
func (r *CallResult) setStreams(out, errs segment) {
	r.StdoutB64, r.StdoutBytes, r.StdoutTruncated = base64.StdEncoding.EncodeToString(out.kept), out.total, out.total > int64(len(out.kept))
	r.StderrB64, r.StderrBytes, r.StderrTruncated = base64.StdEncoding.EncodeToString(errs.kept), errs.total, errs.total > int64(len(errs.kept))
}

// cancelledWhileQueued is the result of a call that never reached the runtime.
func cancelledWhileQueued(taskID string) *CallResult {
	return &CallResult{Type: "result", TaskID: taskID, Status: statusCancelled}
}

// strPtr returns a pointer to a copy of s.
func strPtr(s string) *string { return &s }
