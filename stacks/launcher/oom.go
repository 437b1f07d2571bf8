package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// oomKillCount reads the memory cgroup's oom_kill counter (cgroup v2 memory.events, or v1
// memory.oom_control). Returns -1 when neither is readable.
func oomKillCount() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"} {
		if n, ok := readCounter(p, "oom_kill"); ok {
			return n
		}
	}
	return -1
}

func readCounter(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == key {
			n, err := strconv.ParseInt(fields[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
