package main

import (
	"os"
	"strings"
)

// buildEnv is the launcher's own environment (the image's), then extra (a frame's env), then
// fixed (variables the launcher always sets), later entries replacing earlier ones in place.
func buildEnv(extra map[string]string, fixed [][2]string) []string {
	env := map[string]string{}
	order := []string{}
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for k, v := range extra {
		set(k, v)
	}
	for _, kv := range fixed {
		set(kv[0], kv[1])
	}
	list := make([]string, 0, len(order))
	for _, k := range order {
		list = append(list, k+"="+env[k])
	}
	return list
}
