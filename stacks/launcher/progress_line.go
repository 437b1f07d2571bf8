package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Limits of one progress report.
const (
	progressMsgMaxBytes  = 1024     // longer messages are cut (at a UTF-8 boundary)
	progressLineMaxBytes = 8 * 1024 // longer lines are skipped
)

// parseProgressLine decodes one line a task wrote on its progress fd (docs/launcher-protocol.md
// "Progress"): either a JSON object {"pct": number?, "msg": string?} or `PCT [MSG]` where PCT is
// a number or "-" (no percentage). pct is clamped to 0–100. ok is false for a line that is
// neither (it is ignored).
func parseProgressLine(line []byte) (LiveProgress, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return LiveProgress{}, false
	}
	if line[0] == '{' {
		var raw struct {
			Pct *float64 `json:"pct"`
			Msg *string  `json:"msg"`
		}
		if err := json.Unmarshal(line, &raw); err != nil || (raw.Pct == nil && raw.Msg == nil) {
			return LiveProgress{}, false
		}
		msg := ""
		if raw.Msg != nil {
			msg = *raw.Msg
		}
		return makeProgress(raw.Pct, msg)
	}
	head, rest, _ := bytes.Cut(line, []byte{' '})
	msg := string(bytes.TrimSpace(rest))
	if string(head) == "-" {
		return makeProgress(nil, msg)
	}
	pct, err := strconv.ParseFloat(string(bytes.TrimSuffix(head, []byte{'%'})), 64)
	if err != nil {
		return LiveProgress{}, false
	}
	return makeProgress(&pct, msg)
}

// parseProgressReply decodes the fields of a runtime's `P\t<pct>\t<b64 msg>` line (after "P\t"):
// pct empty means none.
func parseProgressReply(pctField, msgField []byte) (LiveProgress, bool) {
	msg, err := base64.StdEncoding.DecodeString(string(msgField))
	if err != nil {
		return LiveProgress{}, false
	}
	if len(pctField) == 0 {
		return makeProgress(nil, string(msg))
	}
	pct, err := strconv.ParseFloat(string(pctField), 64)
	if err != nil {
		return LiveProgress{}, false
	}
	return makeProgress(&pct, string(msg))
}

func makeProgress(pct *float64, msg string) (LiveProgress, bool) {
	if pct != nil {
		if math.IsNaN(*pct) || math.IsInf(*pct, 0) {
			return LiveProgress{}, false
		}
		v := math.Max(0, math.Min(100, *pct))
		pct = &v
	}
	if len(msg) > progressMsgMaxBytes {
		cut := progressMsgMaxBytes
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return LiveProgress{Pct: pct, Msg: msg}, true
}

// readProgress reads progress lines from r until EOF and reports each valid one; lines longer
// than progressLineMaxBytes are skipped whole.
func readProgress(r io.Reader, report func(LiveProgress), done chan<- struct{}) {
	defer close(done)
	br := bufio.NewReaderSize(r, 4096)
	var line []byte
	tooLong := false
	for {
		part, isPrefix, err := br.ReadLine()
		if len(part) > 0 && !tooLong {
			if len(line)+len(part) > progressLineMaxBytes {
				tooLong, line = true, line[:0]
			} else {
				line = append(line, part...)
			}
		}
		if err != nil {
			return
		}
		if isPrefix {
			continue
		}
		if !tooLong {
			if p, ok := parseProgressLine(line); ok {
				report(p)
			}
		}
		line, tooLong = line[:0], false
	}
}
