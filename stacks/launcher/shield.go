package main

import (
	"os"
	"os/signal"
	"syscall"
)

// shieldedSignals are the catchable signals whose default action would end the launcher. A task
// runs as the same uid and can signal PID 1; without the shield `kill -TERM 1` from a task ends the
// launcher, and with it the result frame. The executor stops containers with SIGKILL only, so the
// launcher never needs to react to these.
var shieldedSignals = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGPIPE,
}

// shieldFromSignals catches (and drops) shieldedSignals. Catching, unlike ignoring, is reset by
// exec, so task processes still get the default dispositions.
func shieldFromSignals() chan os.Signal {
	caught := make(chan os.Signal, 16)
	signal.Notify(caught, shieldedSignals...)
	go func() {
		for range caught {
		}
	}()
	return caught
}

// signalStop undoes shieldFromSignals (tests).
func signalStop(caught chan os.Signal) {
	signal.Stop(caught)
}
