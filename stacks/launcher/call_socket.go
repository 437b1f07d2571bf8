package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"time"
)

// callSocketDialTimeout bounds the connect to the executor's call socket.
const callSocketDialTimeout = 2 * time.Second

// dialCallSocket connects to the executor's call socket (docs/function-runtimes.md "Call
// socket") and introduces the session with its hello line. The connection then carries every
// frame of the session both ways; the executor matches it to this container by the token.
func dialCallSocket(path, token string) (net.Conn, error) {
	conn, err := net.DialTimeout("unix", path, callSocketDialTimeout)
	if err != nil {
		return nil, err
	}
	hello, _ := json.Marshal(map[string]string{"type": "hello", "token": token})
	if _, err := conn.Write(append(hello, '\n')); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// endReadsWithInput waits for stdin to end (the executor dropped the attach connection) and
// then ends the reads on conn, so the session stops as it does when stdin ends in stdio mode.
func endReadsWithInput(stdin io.Reader, conn net.Conn) {
	_, _ = io.Copy(io.Discard, stdin)
	_ = conn.SetReadDeadline(time.Now())
}

// sessionChannel is where a function session's frames travel: the call socket when the
// function frame names one and it answers, else stdin/stdout. The returned close releases it.
func sessionChannel(f *FunctionFrame, stdin *bufio.Reader, stdout io.Writer) (*bufio.Reader, io.Writer, func()) {
	if f.CallSocket == "" {
		return stdin, stdout, func() {}
	}
	conn, err := dialCallSocket(f.CallSocket, f.CallToken)
	if err != nil {
		logf("call socket %s not reachable, frames stay on stdin/stdout: %v", f.CallSocket, err)
		return stdin, stdout, func() {}
	}
	go endReadsWithInput(stdin, conn)
	return bufio.NewReaderSize(conn, 64*1024), conn, func() { conn.Close() }
}
