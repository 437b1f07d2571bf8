package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// TaskFrame is the one line the executor writes on stdin (docs/launcher-protocol.md).
type TaskFrame struct {
	TaskID         string
	Attempt        int64
	Command        []string
	Env            map[string]string
	Payload        []byte
	CodeTar        []byte // nil when codeTarB64 is null or absent
	TimeoutMs      int64
	StdoutCapBytes int64
	StderrCapBytes int64
	OutputCapBytes int64
	// KeepAlive: after the result frame the launcher cleans up and waits for another frame.
	KeepAlive bool
	// ReuseCode: keep /task/code from the previous task of this container (codeTar ignored).
	ReuseCode bool
	// LiveIntervalMs > 0: stream output and progress as live frames, at most one per interval.
	LiveIntervalMs int64
}

type rawFrame struct {
	TaskID         *string           `json:"taskId"`
	Attempt        *int64            `json:"attempt"`
	Command        []string          `json:"command"`
	Env            map[string]string `json:"env"`
	PayloadB64     *string           `json:"payloadB64"`
	CodeTarB64     *string           `json:"codeTarB64"`
	TimeoutMs      *int64            `json:"timeoutMs"`
	StdoutCapBytes *int64            `json:"stdoutCapBytes"`
	StderrCapBytes *int64            `json:"stderrCapBytes"`
	OutputCapBytes *int64            `json:"outputCapBytes"`
	KeepAlive      bool              `json:"keepAlive"`
	ReuseCode      bool              `json:"reuseCode"`
	LiveIntervalMs int64             `json:"liveIntervalMs"`
}

// ParseFrame decodes and validates a task frame. Unknown fields are ignored so that newer
// executors can add fields; missing env/payload/code mean empty.
func ParseFrame(line []byte) (*TaskFrame, error) {
	var raw rawFrame
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, fmt.Errorf("malformed task frame: %v", err)
	}
	if raw.TaskID == nil || *raw.TaskID == "" {
		return nil, errors.New("malformed task frame: taskId missing")
	}
	if raw.Attempt == nil {
		return nil, errors.New("malformed task frame: attempt missing")
	}
	if len(raw.Command) == 0 || raw.Command[0] == "" {
		return nil, errors.New("malformed task frame: command must be a non-empty string array")
	}
	if err := requirePositive("timeoutMs", raw.TimeoutMs); err != nil {
		return nil, err
	}
	for name, v := range map[string]*int64{
		"stdoutCapBytes": raw.StdoutCapBytes, "stderrCapBytes": raw.StderrCapBytes, "outputCapBytes": raw.OutputCapBytes,
	} {
		if v == nil || *v < 0 {
			return nil, fmt.Errorf("malformed task frame: %s must be a number >= 0", name)
		}
	}
	f := &TaskFrame{
		TaskID: *raw.TaskID, Attempt: *raw.Attempt, Command: raw.Command, Env: raw.Env,
		TimeoutMs: *raw.TimeoutMs, StdoutCapBytes: *raw.StdoutCapBytes,
		StderrCapBytes: *raw.StderrCapBytes, OutputCapBytes: *raw.OutputCapBytes,
		KeepAlive: raw.KeepAlive, ReuseCode: raw.ReuseCode, LiveIntervalMs: raw.LiveIntervalMs,
	}
	var err error
	if raw.PayloadB64 != nil {
		if f.Payload, err = base64.StdEncoding.DecodeString(*raw.PayloadB64); err != nil {
			return nil, fmt.Errorf("malformed task frame: payloadB64: %v", err)
		}
	}
	if raw.CodeTarB64 != nil {
		if f.CodeTar, err = base64.StdEncoding.DecodeString(*raw.CodeTarB64); err != nil {
			return nil, fmt.Errorf("malformed task frame: codeTarB64: %v", err)
		}
	}
	return f, nil
}

func requirePositive(name string, v *int64) error {
	if v == nil || *v <= 0 {
		return fmt.Errorf("malformed task frame: %s must be a number > 0", name)
	}
	return nil
}

// Output is one file collected from /task/out.
type Output struct {
	Name    string `json:"name"`
	DataB64 string `json:"dataB64"`
}

// ResultFrame is the last line the launcher writes on stdout.
type ResultFrame struct {
	Type             string   `json:"type"`
	ExitCode         *int     `json:"exitCode"`
	Signal           *string  `json:"signal"`
	TimedOut         bool     `json:"timedOut"`
	Cancelled        bool     `json:"cancelled"`
	OomKilled        bool     `json:"oomKilled"`
	SpawnError       *string  `json:"spawnError"`
	StdoutB64        string   `json:"stdoutB64"`
	StderrB64        string   `json:"stderrB64"`
	StdoutTruncated  bool     `json:"stdoutTruncated"`
	StderrTruncated  bool     `json:"stderrTruncated"`
	StdoutBytes      int64    `json:"stdoutBytes"`
	StderrBytes      int64    `json:"stderrBytes"`
	Outputs          []Output `json:"outputs"`
	OutputsTruncated bool     `json:"outputsTruncated"`
	StartedAtMs      int64    `json:"startedAtMs"`
	FinishedAtMs     int64    `json:"finishedAtMs"`
}

// spawnErrorResult is the result for a task that never ran.
func spawnErrorResult(msg string, nowMs int64) *ResultFrame {
	return &ResultFrame{
		Type: "result", SpawnError: &msg, Outputs: []Output{},
		StartedAtMs: nowMs, FinishedAtMs: nowMs,
	}
}
