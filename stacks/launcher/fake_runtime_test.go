package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the fake runtime of the function-mode tests: started with
// BERTH_FAKE_RUNTIME=1 it speaks the fd 3 / fd 4 protocol (docs/function-runtimes.md §2).
func TestMain(m *testing.M) {
	if os.Getenv("BERTH_FAKE_RUNTIME") == "1" {
		os.Exit(fakeRuntime())
	}
	os.Exit(m.Run())
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// fakeRuntime loads BERTH_HANDLER = FILE:FUNCTION (FILE must exist in the working directory;
// FUNCTION "slowload" never loads, "exitload" exits, "noisyload" fails after much stderr), then
// runs each call's payload as a command "name:argument" (see fakeCall).
func fakeRuntime() int {
	replies := bufio.NewWriter(os.NewFile(4, "replies"))
	file, fn, _ := strings.Cut(os.Getenv("BERTH_HANDLER"), ":")
	switch fn {
	case "slowload":
		time.Sleep(time.Hour)
	case "exitload":
		fmt.Fprint(os.Stderr, "exiting while loading")
		return 3
	case "noisyload":
		fmt.Fprint(os.Stderr, strings.Repeat("x", 10000)+"THE END")
		replies.WriteString("E\t" + b64("noisy") + "\t\n")
		replies.Flush()
		return 1
	}
	if _, err := os.Stat(file); err != nil {
		fmt.Fprintf(os.Stderr, "loading %s failed", file)
		replies.WriteString("E\t" + b64("cannot load "+file) + "\t" + b64("at load()") + "\n")
		replies.Flush()
		return 1
	}
	replies.WriteString("L\n")
	replies.Flush()
	calls := bufio.NewReader(os.NewFile(3, "calls"))
	state := &fakeState{}
	for {
		line, err := calls.ReadString('\n')
		if err != nil {
			return 0
		}
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		payload, _ := base64.StdEncoding.DecodeString(f[5])
		marker := "\x1e" + f[6] + "\x1e"
		r := state.run(f, string(payload), marker)
		if !r.markerDone {
			os.Stdout.WriteString(marker)
			os.Stderr.WriteString(marker)
		}
		replies.WriteString(r.line)
		replies.Flush()
	}
}

type fakeState struct{ counter int }

type fakeReply struct {
	line       string
	markerDone bool
}

func valueReply(kind, value string) fakeReply {
	return fakeReply{line: "R\t" + kind + "\t" + b64(value) + "\n"}
}

// run executes one fake call. Commands: string|bytes|json:V (that value), null, error:MSG,
// print:OUT|ERR, late:OUT (OUT written after the marker), sleep:MS, crash, close-replies,
// counter (per-runtime count), pid, ctx, env, big:N, tmp-write, tmp-list, rm:FILE, garbage,
// progress:P1,P2 (progress lines).
func (s *fakeState) run(f []string, payload, marker string) fakeReply {
	cmd, arg, _ := strings.Cut(payload, ":")
	switch cmd {
	case "string", "bytes", "json":
		return valueReply(cmd, arg)
	case "null":
		return fakeReply{line: "R\tnull\t\n"}
	case "error":
		return fakeReply{line: "E\t" + b64(arg) + "\t" + b64("at handle()") + "\n"}
	case "print":
		out, errs, _ := strings.Cut(arg, "|")
		os.Stdout.WriteString(out)
		os.Stderr.WriteString(errs)
	case "late":
		os.Stdout.WriteString(marker)
		os.Stderr.WriteString(marker)
		os.Stdout.WriteString(arg)
		return fakeReply{line: "R\tnull\t\n", markerDone: true}
	case "sleep":
		ms, _ := strconv.Atoi(arg)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "crash":
		os.Stderr.WriteString("dying")
		os.Exit(3)
	case "close-replies":
		os.NewFile(4, "replies").Close()
		time.Sleep(time.Hour)
	case "counter":
		s.counter++
		return valueReply("string", strconv.Itoa(s.counter))
	case "pid":
		return valueReply("string", strconv.Itoa(os.Getpid()))
	case "ctx":
		b, _ := json.Marshal(map[string]string{"taskId": f[1], "attempt": f[2], "deadlineMs": f[3], "labels": f[4]})
		return valueReply("json", string(b))
	case "env":
		wd, _ := os.Getwd()
		b, _ := json.Marshal(map[string]string{"cwd": wd, "handler": os.Getenv("BERTH_HANDLER"),
			"home": os.Getenv("HOME"), "out": os.Getenv("TASK_OUT"), "extra": os.Getenv("EXTRA")})
		return valueReply("json", string(b))
	case "big":
		n, _ := strconv.Atoi(arg)
		os.Stdout.WriteString(strings.Repeat("o", n))
		os.Stderr.WriteString(strings.Repeat("e", n))
	case "tmp-write":
		_ = os.WriteFile(os.Getenv("FAKE_TMP")+"/left", []byte("x"), 0o644)
	case "tmp-list":
		entries, _ := os.ReadDir(os.Getenv("FAKE_TMP"))
		return valueReply("string", strconv.Itoa(len(entries)))
	case "rm":
		_ = os.Remove(arg)
	case "garbage":
		return fakeReply{line: "what is this\n"}
	case "progress": // progress:PCT,PCT,...: one P line each, 100 ms apart, then a bad one
		for _, pct := range strings.Split(arg, ",") {
			os.NewFile(4, "replies").WriteString("P\t" + pct + "\t" + b64("at "+pct) + "\n")
			time.Sleep(100 * time.Millisecond)
		}
		os.NewFile(4, "replies").WriteString("P\tnot-a-number\t\n")
	}
	return fakeReply{line: "R\tnull\t\n"}
}
