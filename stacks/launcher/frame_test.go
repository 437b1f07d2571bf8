package main

import (
	"strings"
	"testing"
)

const validFrame = `{"taskId":"t1","attempt":2,"command":["sh","-c","echo hi"],"env":{"A":"b"},` +
	`"payloadB64":"aGVsbG8=","codeTarB64":null,"timeoutMs":1000,"stdoutCapBytes":10,` +
	`"stderrCapBytes":10,"outputCapBytes":100,"future":"ignored"}`

func TestParseFrameValid(t *testing.T) {
	f, err := ParseFrame([]byte(validFrame))
	if err != nil {
		t.Fatal(err)
	}
	if f.TaskID != "t1" || f.Attempt != 2 || len(f.Command) != 3 || f.Env["A"] != "b" {
		t.Fatalf("unexpected frame %+v", f)
	}
	if string(f.Payload) != "hello" || f.CodeTar != nil || f.TimeoutMs != 1000 || f.OutputCapBytes != 100 {
		t.Fatalf("unexpected frame %+v", f)
	}
}

func TestParseFrameRejects(t *testing.T) {
	cases := map[string]string{
		"not json":       `{"taskId":`,
		"no task id":     strings.Replace(validFrame, `"taskId":"t1",`, "", 1),
		"empty command":  strings.Replace(validFrame, `["sh","-c","echo hi"]`, `[]`, 1),
		"command type":   strings.Replace(validFrame, `["sh","-c","echo hi"]`, `"sh"`, 1),
		"zero timeout":   strings.Replace(validFrame, `"timeoutMs":1000`, `"timeoutMs":0`, 1),
		"negative cap":   strings.Replace(validFrame, `"stdoutCapBytes":10`, `"stdoutCapBytes":-1`, 1),
		"missing cap":    strings.Replace(validFrame, `"outputCapBytes":100,`, ``, 1),
		"bad base64":     strings.Replace(validFrame, `"aGVsbG8="`, `"%%%"`, 1),
		"no attempt":     strings.Replace(validFrame, `"attempt":2,`, ``, 1),
		"attempt string": strings.Replace(validFrame, `"attempt":2`, `"attempt":"2"`, 1),
	}
	for name, line := range cases {
		if _, err := ParseFrame([]byte(line)); err == nil {
			t.Errorf("%s: expected an error for %s", name, line)
		} else if !strings.HasPrefix(err.Error(), "malformed task frame") {
			t.Errorf("%s: error should name the frame: %v", name, err)
		}
	}
}

func TestCappedBufferKeepsCapAndCountsAll(t *testing.T) {
	b := newCappedBuffer(5)
	b.Write([]byte("abc"))
	b.Write([]byte("defgh"))
	kept, total, cut := b.Snapshot()
	if string(kept) != "abcde" || total != 8 || !cut {
		t.Fatalf("got %q %d %v", kept, total, cut)
	}
	b2 := newCappedBuffer(5)
	b2.Write([]byte("abcde"))
	if _, total, cut := b2.Snapshot(); total != 5 || cut {
		t.Fatalf("exact fit must not be truncated: %d %v", total, cut)
	}
}
