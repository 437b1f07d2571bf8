package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// The fd 3 / fd 4 line protocol between the launcher and a runtime (docs/function-runtimes.md §2).

// markerLen is the length of an end marker on fd 1/fd 2: \x1e + 32 hex + \x1e.
const markerLen = 34

// markerSource hands out end markers; it reads the system's randomness in blocks so that a call
// costs no system call. Not safe for concurrent use.
type markerSource struct {
	pool []byte
}

// next returns a new marker as written on fd 1/fd 2 and its 32 hex characters (for the C line).
func (m *markerSource) next() (marker []byte, hexPart string) {
	if len(m.pool) < 16 {
		m.pool = make([]byte, 4096)
		if _, err := rand.Read(m.pool); err != nil {
			panic(fmt.Sprintf("berth-launcher: no randomness for markers: %v", err))
		}
	}
	hexPart = hex.EncodeToString(m.pool[:16])
	m.pool = m.pool[16:]
	marker = make([]byte, 0, markerLen)
	marker = append(append(append(marker, 0x1e), hexPart...), 0x1e)
	return marker, hexPart
}

// appendCallLine appends `C\t<b64 taskId>\t<attempt>\t<deadlineMs>\t<labels>\t<b64 payload>\t<marker>\n`.
func appendCallLine(buf []byte, c *CallFrame, markerHex string) []byte {
	buf = append(buf, 'C', '\t')
	buf = appendB64(buf, []byte(c.TaskID))
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, c.Attempt, 10)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, c.DeadlineMs, 10)
	buf = append(buf, '\t')
	buf = appendLabels(buf, c.Labels)
	buf = append(buf, '\t')
	buf = append(buf, c.PayloadB64...)
	buf = append(buf, '\t')
	buf = append(buf, markerHex...)
	return append(buf, '\n')
}

// appendLabels appends comma-separated b64(key):b64(value) pairs, sorted by key.
func appendLabels(buf []byte, labels map[string]string) []byte {
	if len(labels) == 0 {
		return buf
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendB64(buf, []byte(k))
		buf = append(buf, ':')
		buf = appendB64(buf, []byte(labels[k]))
	}
	return buf
}

// appendB64 appends the standard base64 encoding of src to buf.
func appendB64(buf, src []byte) []byte {
	n := len(buf)
	buf = append(buf, make([]byte, base64.StdEncoding.EncodedLen(len(src)))...)
	base64.StdEncoding.Encode(buf[n:], src)
	return buf
}

// reply is one line a runtime wrote on fd 4.
type reply struct {
	// kind is 'L' (loaded), 'R' (a value) or 'E' (an error: load failed, or the handler threw).
	kind byte
	// valueKind and valueB64 for 'R' (valueB64 as the runtime wrote it, validated).
	valueKind string
	valueB64  string
	// message and stack for 'E', decoded.
	message, stack string
}

var valueKinds = map[string]bool{"bytes": true, "string": true, "json": true, "null": true}

// parseReply decodes one fd 4 line (with or without its newline). An error means the runtime
// broke the protocol.
func parseReply(line []byte) (reply, error) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	fields := bytes.Split(line, []byte{'\t'})
	switch {
	case len(fields) == 1 && string(fields[0]) == "L":
		return reply{kind: 'L'}, nil
	case len(fields) == 3 && string(fields[0]) == "R":
		kind := string(fields[1])
		if !valueKinds[kind] {
			return reply{}, fmt.Errorf("unknown value kind %q", kind)
		}
		if _, err := base64.StdEncoding.DecodeString(string(fields[2])); err != nil {
			return reply{}, fmt.Errorf("value is not base64: %v", err)
		}
		return reply{kind: 'R', valueKind: kind, valueB64: string(fields[2])}, nil
	case len(fields) == 3 && string(fields[0]) == "E":
		msg, err1 := base64.StdEncoding.DecodeString(string(fields[1]))
		stack, err2 := base64.StdEncoding.DecodeString(string(fields[2]))
		if err := errors.Join(err1, err2); err != nil {
			return reply{}, fmt.Errorf("error fields are not base64: %v", err)
		}
		return reply{kind: 'E', message: string(msg), stack: string(stack)}, nil
	}
	shown := line
	if len(shown) > 80 {
		shown = shown[:80]
	}
	return reply{}, fmt.Errorf("unexpected line %q", shown)
}
