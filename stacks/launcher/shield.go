package main

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// shieldedSignals are the catchable signals whose default action would end the launcher. A task
// runs as the same uid and can signal PID 1; without the shield `kill -TERM 1` from a task ends the
// launcher, and with it the result frame. The executor stops containers with SIGKILL; the one
// signal the launcher reacts to is SIGUSR1 (cancelSignal): it cancels the running task of task
// mode (see cancelHook), so the result frame still carries what the task printed.
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
		for s := range caught {
			if s == cancelSignal {
				runCancelHook()
			}
		}
	}()
	return caught
}

// cancelSignal asks the launcher to cancel the running task (docs/launcher-protocol.md "Cancel").
const cancelSignal = syscall.SIGUSR1

// cancelHook is the running task's cancel function (nil between tasks and in function mode).
var cancelHook atomic.Pointer[func()]

func runCancelHook() {
	if f := cancelHook.Load(); f != nil {
		(*f)()
	}
}

// signalStop undoes shieldFromSignals (tests).
func signalStop(caught chan os.Signal) {
	signal.Stop(caught)
}
