package main

import (
	"strings"
	"testing"
)

func TestParseProgressLine(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		pct  float64 // -1: none
		msg  string
	}{
		{`{"pct":40,"msg":"half way"}`, true, 40, "half way"},
		{`{"msg":"only text"}`, true, -1, "only text"},
		{`{"pct":140}`, true, 100, ""},
		{`40 copying files`, true, 40, "copying files"},
		{`12.5%  step 2 `, true, 12.5, "step 2"},
		{`- still working`, true, -1, "still working"},
		{`-3`, true, 0, ""},
		{`hello world`, false, 0, ""},
		{`{"other":1}`, false, 0, ""},
		{`{broken`, false, 0, ""},
		{``, false, 0, ""},
		{`NaN x`, false, 0, ""},
	}
	for _, c := range cases {
		p, ok := parseProgressLine([]byte(c.line))
		if ok != c.ok {
			t.Fatalf("%q: ok=%v want %v", c.line, ok, c.ok)
		}
		if !ok {
			continue
		}
		if c.pct < 0 && p.Pct != nil || c.pct >= 0 && (p.Pct == nil || *p.Pct != c.pct) || p.Msg != c.msg {
			t.Fatalf("%q: got %v %q", c.line, p.Pct, p.Msg)
		}
	}
}

func TestProgressMessageIsCutAtARuneBoundary(t *testing.T) {
	p, ok := parseProgressLine([]byte("5 " + strings.Repeat("é", 1000)))
	if !ok || len(p.Msg) > progressMsgMaxBytes || len(p.Msg)%2 != 0 {
		t.Fatalf("message not cut cleanly: %d bytes", len(p.Msg))
	}
}

func TestParseProgressReply(t *testing.T) {
	p, ok := parseProgressReply([]byte("75"), []byte("aGk=")) // "hi"
	if !ok || p.Pct == nil || *p.Pct != 75 || p.Msg != "hi" {
		t.Fatalf("got %+v %v", p, ok)
	}
	if p, ok := parseProgressReply(nil, []byte("")); !ok || p.Pct != nil {
		t.Fatalf("empty pct: %+v %v", p, ok)
	}
	if _, ok := parseProgressReply([]byte("x"), nil); ok {
		t.Fatal("bad pct accepted")
	}
	if _, ok := parseProgressReply([]byte("1"), []byte("!!")); ok {
		t.Fatal("bad base64 accepted")
	}
}

func TestReadProgressSkipsOverlongLines(t *testing.T) {
	in := "10 a\n" + strings.Repeat("9", progressLineMaxBytes+10) + "\n20 b\n30 c"
	var got []string
	done := make(chan struct{})
	readProgress(strings.NewReader(in), func(p LiveProgress) { got = append(got, p.Msg) }, done)
	if strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("got %v", got)
	}
}
