package main

import (
	"strings"
	"testing"
)

func TestCallLineFields(t *testing.T) {
	c := &CallFrame{TaskID: "t\t1", Attempt: 2, DeadlineMs: 99, PayloadB64: b64("p"),
		Labels: map[string]string{"z": "", "a": "x,y"}}
	got := string(appendCallLine(nil, c, "00ff"))
	want := "C\t" + b64("t\t1") + "\t2\t99\t" + b64("a") + ":" + b64("x,y") + "," + b64("z") + ":\t" + b64("p") + "\t00ff\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	c.Labels, c.PayloadB64 = nil, ""
	if got := string(appendCallLine(nil, c, "m")); got != "C\t"+b64("t\t1")+"\t2\t99\t\t\tm\n" {
		t.Fatalf("empty fields: %q", got)
	}
}

func TestMarkersAreFreshHex(t *testing.T) {
	var m markerSource
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		marker, hexPart := m.next()
		if len(marker) != markerLen || marker[0] != 0x1e || marker[33] != 0x1e || string(marker[1:33]) != hexPart {
			t.Fatalf("marker %q", marker)
		}
		if strings.Trim(hexPart, "0123456789abcdef") != "" || seen[hexPart] {
			t.Fatalf("marker %q not lowercase hex or repeated", hexPart)
		}
		seen[hexPart] = true
	}
}

func TestParseReply(t *testing.T) {
	for line, want := range map[string]reply{
		"L\n":                                    {kind: 'L'},
		"R\tjson\t" + b64(`[1]`) + "\n":          {kind: 'R', valueKind: "json", valueB64: b64(`[1]`)},
		"R\tnull\t\n":                            {kind: 'R', valueKind: "null"},
		"E\t" + b64("boom") + "\t" + b64("at x"): {kind: 'E', message: "boom", stack: "at x"},
	} {
		got, err := parseReply([]byte(line))
		if err != nil || got != want {
			t.Fatalf("%q: %+v %v", line, got, err)
		}
	}
	for _, bad := range []string{"", "X\n", "R\tnumber\t\n", "R\tstring\t!!\n", "E\tnot b64!\t\n", "L\textra\n"} {
		if _, err := parseReply([]byte(bad)); err == nil {
			t.Fatalf("%q must be refused", bad)
		}
	}
}
