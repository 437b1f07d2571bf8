package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestHandleMalformedFrameIsASpawnErrorResult(t *testing.T) {
	for name, input := range map[string]string{
		"garbage":       "not json\n",
		"empty stdin":   "",
		"missing field": `{"taskId":"x"}` + "\n",
	} {
		var emitted []any
		res, _ := handle(bufio.NewReader(strings.NewReader(input)), func(v any) { emitted = append(emitted, v) }, t.TempDir())
		if res.Type != "result" || res.SpawnError == nil || res.ExitCode != nil {
			t.Errorf("%s: unexpected result %+v", name, res)
		}
		if len(emitted) != 0 {
			t.Errorf("%s: nothing may start for a malformed frame, got %v", name, emitted)
		}
	}
}
