package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the example quietly: the results are printed, no Morse is,
// and the summary counts symbols both ways.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-quiet"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		`A called B.greet("A") = "Hello, A! B here."`,
		"B called A.add(19, 23) = 42",
		"A streamed B.fib(7) = [1 1 2 3 5 8 13]",
		"summary: 3 calls",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "A->B: ") || strings.Contains(s, "B->A: ") {
		t.Errorf("-quiet printed Morse:\n%s", s)
	}
	for _, dir := range []string{"A->B", "B->A"} {
		m := regexp.MustCompile(dir + ` carried (\d+) bytes in (\d+) symbols`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no summary for %s:\n%s", dir, s)
		}
		n, _ := strconv.Atoi(m[1])
		syms, _ := strconv.Atoi(m[2])
		if n == 0 || syms <= n {
			t.Errorf("%s carried %d bytes in %d symbols", dir, n, syms)
		}
	}
}

// TestRoundTrip sends every byte value down a line and decodes it back.
func TestRoundTrip(t *testing.T) {
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	l := newLine("test", 0, nil)
	enc, dec := l.Encoder(), l.Decoder()
	errc := make(chan error, 1)
	go func() {
		_, err := enc.Write(all[:])
		enc.Close()
		errc <- err
	}()
	got, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, all[:]) {
		t.Fatalf("decoded %x, want %x", got, all)
	}
	var want int64
	for b := range 256 {
		want += int64(len(appendMorse(nil, byte(b))))
	}
	if l.bytes.Load() != 256 || l.sent.Load() != want {
		t.Errorf("counted %d bytes, %d symbols; want 256, %d", l.bytes.Load(), l.sent.Load(), want)
	}
}

// TestCloseUnblocks checks that closing either end ends a blocked Read or
// Write, which the wire relies on to stop its goroutines.
func TestCloseUnblocks(t *testing.T) {
	l := newLine("test", 0, nil)
	errc := make(chan error, 1)
	go func() { _, err := l.Decoder().Read(make([]byte, 1)); errc <- err }()
	l.Encoder().Close()
	if err := <-errc; err != io.EOF {
		t.Errorf("Read after Close: %v, want io.EOF", err)
	}

	l = newLine("test", time.Hour, nil)
	go func() { _, err := l.Encoder().Write([]byte{1}); errc <- err }()
	l.Decoder().Close()
	if err := <-errc; !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after Close: %v, want io.ErrClosedPipe", err)
	}
}

// TestBadMorse checks that symbols that spell no byte are a read error.
func TestBadMorse(t *testing.T) {
	for _, in := range []string{"...... .-/", ".-/", ".- .- .-/", "..-- .-/", ". ?"} {
		l := newLine("test", 0, nil)
		go func() {
			defer l.close()
			for _, c := range in {
				select {
				case l.symbols <- Symbol(c):
				case <-l.done:
					return
				}
			}
		}()
		_, err := io.ReadAll(l.Decoder())
		l.close()
		if !errors.Is(err, errBadMorse) {
			t.Errorf("%q: %v, want errBadMorse", in, err)
		}
	}
}
