package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"go.uber.org/goleak"
)

// serveStdioEnv, set, makes the test binary run "ipfi serve stdio:" instead
// of the tests: the child process of the exec: tests.
const serveStdioEnv = "IPFI_CMD_TEST_SERVE_STDIO"

func TestMain(m *testing.M) {
	if os.Getenv(serveStdioEnv) != "" {
		os.Exit(run(context.Background(), []string{"serve", "stdio:"}, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer that a running command and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cli runs the command line args in-process and returns what it printed
// and its exit status.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	code = run(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// serve runs "ipfi serve addr" until the test ends and returns the address
// it printed. At the end it stops the server, as a signal would, and checks
// that it exited 0.
func serve(t *testing.T, addr string) string {
	t.Helper()
	got, _ := serveArgs(t, addr)
	return got
}

// serveArgs is serve with the command line "ipfi serve args...", and
// returns what the server printed on stderr too, until it started serving.
func serveArgs(t *testing.T, args ...string) (addr, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d; stderr: %s", code, errOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not stop within 10s")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if line, ok := strings.CutSuffix(out.String(), "\n"); ok {
			got, ok := strings.CutPrefix(line, "serving on ")
			if !ok {
				t.Fatalf("serve printed %q, want \"serving on ADDR\"", line)
			}
			return got, errOut.String()
		}
		select {
		case code := <-done:
			done <- code // for the cleanup
			t.Fatalf("serve exited %d before listening; stderr: %s", code, errOut.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no address within 10s")
		}
	}
}

// serveInterface serves iface on l until the test ends and returns the
// address to give the commands; at the end it stops serving and closes
// iface.
func serveInterface(t *testing.T, iface *ipfi.Interface, l net.Listener) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- iface.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v, want context.Canceled", err)
		}
		iface.Close()
	})
	return "tcp://" + l.Addr().String()
}

// wantOK checks that a command succeeded, printing nothing on stderr.
func wantOK(t *testing.T, args []string, stdout, stderr string, code int) {
	t.Helper()
	if code != 0 || stderr != "" {
		t.Fatalf("ipfi %q: exit %d, stderr %q; want 0 and nothing", args, code, stderr)
	}
}

// wantFail checks that a command failed with status 1, printing nothing on
// stdout and one line on stderr that contains each of want.
func wantFail(t *testing.T, args []string, stdout, stderr string, code int, want ...string) {
	t.Helper()
	if code != 1 {
		t.Errorf("ipfi %q: exit %d, want 1; stderr %q", args, code, stderr)
	}
	if stdout != "" {
		t.Errorf("ipfi %q printed %q on stdout, want nothing", args, stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("ipfi %q: stderr %q, want one line", args, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("ipfi %q: stderr %q, want it to contain %q", args, stderr, w)
		}
	}
}

// TestServeTCP: serve on port 0 prints the port it got.
func TestServeTCP(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	if !regexp.MustCompile(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`).MatchString(addr) {
		t.Fatalf("serve printed address %q, want tcp://127.0.0.1:PORT with the real port", addr)
	}
}

// TestCall: each example procedure, its result printed as JSON, one value
// per line.
func TestCall(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"0"}, "42\n"},
		{[]string{"1", `"John"`, `"Doe"`}, "\"Hello, John Doe!\"\n"},
		{[]string{"2", `"x"`}, "\"x\"\n"},
		{[]string{"2", `{"b":[1,-2,2.5,1e3,null,true,false,"<&>"],"a":{}}`}, `{"b":[1,-2,2.5,1000,null,true,false,"<&>"],"a":{}}` + "\n"},
		{[]string{"2", "18446744073709551615"}, "18446744073709551615\n"},
		{[]string{"2", "-9223372036854775808"}, "-9223372036854775808\n"},
		{[]string{"3", "4"}, "0\n1\n2\n3\n"},
		{[]string{"3", "0"}, ""},
		{[]string{"4", "1", "2", "3", "-10"}, "-4\n"},
		{[]string{"4"}, "0\n"},
		{[]string{"5", "1"}, "1\n"},
	} {
		args := append([]string{"call", addr}, tc.args...)
		stdout, stderr, code := cli(t, args...)
		wantOK(t, args, stdout, stderr, code)
		if stdout != tc.want {
			t.Errorf("ipfi %q printed %q, want %q", args, stdout, tc.want)
		}
	}
}

// TestCallUnix: a Unix socket address, served and called.
func TestCallUnix(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipfi") // short: a socket's path is at most about 100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	want := "unix://" + filepath.Join(dir, "s.sock")
	if got := serve(t, want); got != want {
		t.Fatalf("serve printed %q, want %q", got, want)
	}
	args := []string{"call", want, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	wantOK(t, args, stdout, stderr, code)
	if stdout != "\"Hello, John Doe!\"\n" {
		t.Fatalf("printed %q", stdout)
	}
}

// TestPing: one round trip, then several with a summary.
func TestPing(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	stdout, stderr, code := cli(t, "ping", addr)
	wantOK(t, []string{"ping", addr}, stdout, stderr, code)
	if !regexp.MustCompile(`^pong in [0-9.]+[µnm]?s from ` + regexp.QuoteMeta(addr) + "\n$").MatchString(stdout) {
		t.Fatalf("ping printed %q", stdout)
	}
	stdout, stderr, code = cli(t, "ping", "-n", "3", "-i", "1ms", addr)
	wantOK(t, []string{"ping", "-n", "3"}, stdout, stderr, code)
	if strings.Count(stdout, "pong in") != 3 || !strings.Contains(stdout, "3 pings: min ") {
		t.Fatalf("ping -n 3 printed %q", stdout)
	}
}

// TestBench: a short bench prints progress lines, then the count, the
// histogram and the percentiles; a streamed procedure is benched too.
func TestBench(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	for _, proc := range [][]string{{"1", `"John"`, `"Doe"`}, {"3", "5"}} {
		args := append([]string{"bench", "-d", "300ms", "-c", "4", addr}, proc...)
		stdout, stderr, code := cli(t, args...)
		wantOK(t, args, stdout, stderr, code)
		progress := regexp.MustCompile(`(?m)^ +[0-9.]+s +[0-9]+ calls +[0-9]+ calls/s +0 errors$`)
		if len(progress.FindAllString(stdout, -1)) == 0 {
			t.Errorf("bench printed no progress line:\n%s", stdout)
		}
		for _, want := range []string{"4 callers", "calls/s, 0 errors\n", "latency:\n", "#", "%\n", "p50 ", "p90 ", "p99 ", "max "} {
			if !strings.Contains(stdout, want) {
				t.Errorf("bench output lacks %q:\n%s", want, stdout)
			}
		}
		bucket := regexp.MustCompile(`(?m)^ +[0-9]+[µnm]?s \.\. [0-9]+[µnm]?s +#+ +[0-9]+ +[0-9.]+%$`)
		if len(bucket.FindAllString(stdout, -1)) == 0 {
			t.Errorf("bench printed no histogram bucket:\n%s", stdout)
		}
		if (proc[0] == "3") != strings.Contains(stdout, "(streamed response)") {
			t.Errorf("bench did not tell a streamed response from a plain one:\n%s", stdout)
		}
	}
}

// TestErrors: each failure exits 1 with one line on stderr that says why.
func TestErrors(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	// An address where nothing listens: a port just freed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nothing := "tcp://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"call", "http://127.0.0.1:1", "0"}, []string{`bad address "http://127.0.0.1:1"`, `unknown scheme "http"`}},
		{[]string{"call", "127.0.0.1:7071", "0"}, []string{"bad address", "tcp://host:port"}},
		{[]string{"call", "tcp://127.0.0.1", "0"}, []string{"bad address", "missing port"}},
		{[]string{"ping", "unix://"}, []string{"bad address", "unix:///path"}},
		{[]string{"call", "exec:", "0"}, []string{"bad address", "exec:command"}},
		{[]string{"call", nothing, "0"}, []string{"cannot connect to " + nothing, "connection refused"}},
		{[]string{"ping", nothing}, []string{"cannot connect", "connection refused"}},
		{[]string{"bench", "-d", "100ms", nothing, "0"}, []string{"cannot connect", "connection refused"}},
		{[]string{"call", addr, "99"}, []string{"procedure 99 failed: unknown procedure 99 (remote error code 1)"}},
		{[]string{"bench", "-d", "100ms", addr, "99"}, []string{"first call", "unknown procedure 99 (remote error code 1)"}},
		{[]string{"call", addr, "1", `"John"`}, []string{"bad arguments", "(remote error code 2)"}},
		{[]string{"call", addr, "4", "1.5"}, []string{"bad arguments", "not an integer", "(remote error code 2)"}},
		{[]string{"call", addr, "1", "John", `"Doe"`}, []string{`argument 1, "John", is not a JSON value`, `'"John"'`}},
		{[]string{"call", addr, "2", `{"a":`}, []string{"argument 1", "not a JSON value"}},
		{[]string{"call", addr, "2", `1 2`}, []string{"argument 1", "more than one JSON value"}},
		{[]string{"call", addr, "2", `99999999999999999999`}, []string{"does not fit in 64 bits"}},
		{[]string{"call", addr, "x"}, []string{`bad procedure index "x"`}},
		{[]string{"call", "-timeout", "100ms", addr, "5", "10000"}, []string{"no response within 100ms"}},
		{[]string{"serve", "exec:true"}, []string{"cannot serve on exec:true"}},
		{[]string{"call", "exec:/nonexistent/ipfi-module", "0"}, []string{"cannot start exec:/nonexistent/ipfi-module"}},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		wantFail(t, tc.args, stdout, stderr, code, tc.want...)
	}
}

// TestUsage: help lists the subcommands; a command line that does not
// parse exits 2.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}} {
		stdout, _, code := cli(t, args...)
		if code != 0 {
			t.Errorf("ipfi %q: exit %d", args, code)
		}
		for _, c := range []string{"ipfi call ", "ipfi ping ", "ipfi serve ", "ipfi bench ", "ipfi help "} {
			if !strings.Contains(stdout, c) {
				t.Errorf("ipfi %q does not list %q:\n%s", args, c, stdout)
			}
		}
	}
	if stdout, _, code := cli(t, "help", "bench"); code != 0 || !strings.Contains(stdout, "-c int") || !strings.Contains(stdout, "-d duration") {
		t.Errorf("ipfi help bench: exit %d:\n%s", code, stdout)
	}
	if _, stderr, code := cli(t, "call", "-h"); code != 0 || !strings.Contains(stderr, "-timeout duration") {
		t.Errorf("ipfi call -h: exit %d:\n%s", code, stderr)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"call"}, {"call", "tcp://127.0.0.1:1"}, {"ping", "-x", "tcp://127.0.0.1:1"}, {"serve"}, {"bench", "-c", "0", "tcp://127.0.0.1:1", "0"}} {
		if _, stderr, code := cli(t, args...); code != 2 || stderr == "" {
			t.Errorf("ipfi %q: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

// TestExec: exec: runs a module over its stdio; the module is this test
// binary running "ipfi serve stdio:".
func TestExec(t *testing.T) {
	if strings.ContainsAny(os.Args[0], " \t") {
		t.Skip("the test binary's path has a space, which exec: would split")
	}
	t.Setenv(serveStdioEnv, "1")
	// Under the race detector a process sleeps 1 s before it exits
	// (atexit_sleep_ms): not for the module.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	addr := "exec:" + os.Args[0] + " -test.run=^$"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"call", addr, "1", `"a"`, `"b"`}, "\"Hello, a b!\"\n"},
		{[]string{"call", addr, "3", "3"}, "0\n1\n2\n"},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		wantOK(t, tc.args, stdout, stderr, code)
		if stdout != tc.want {
			t.Errorf("ipfi %q printed %q, want %q", tc.args, stdout, tc.want)
		}
	}
	stdout, stderr, code := cli(t, "ping", addr)
	wantOK(t, []string{"ping", addr}, stdout, stderr, code)
	if !strings.HasPrefix(stdout, "pong in ") {
		t.Errorf("ping printed %q", stdout)
	}
	args := []string{"call", addr, "99"}
	stdout, stderr, code = cli(t, args...)
	wantFail(t, args, stdout, stderr, code, "unknown procedure 99 (remote error code 1)")
}

// TestSumInPieces: the sum procedure also adds up ints sent in pieces, as
// the README says.
func TestSumInPieces(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	a, err := parseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iface, w, err := connect(ctx, a, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer iface.Close()
	s, err := w.Open(ctx, procSum)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, v := range []int{1, 2, 3, 4} {
		if err := s.Send(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := s.Recv(&sum); err != nil || sum != 10 {
		t.Fatalf("sum in pieces: %d, %v; want 10", sum, err)
	}
}

// TestTree: ipfi serve exposes its live view; ipfi tree prints it as a
// tree (its own call among the open ones) or as JSON, and says so when the
// procedure is not there.
func TestTree(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	stdout, stderr, code := cli(t, "tree", addr)
	wantOK(t, []string{"tree", addr}, stdout, stderr, code)
	if !strings.HasPrefix(stdout, "interface: 1 wire\n") || !strings.Contains(stdout, "serving procedure 65535 call 0  running") {
		t.Errorf("tree printed:\n%s", stdout)
	}
	stdout, stderr, code = cli(t, "tree", "-json", addr)
	wantOK(t, []string{"tree", "-json", addr}, stdout, stderr, code)
	var s ipfidebug.Snapshot
	if err := json.Unmarshal([]byte(stdout), &s); err != nil || len(s.Wires) != 1 || len(s.Wires[0].Serving) != 1 {
		t.Errorf("tree -json printed %q: %+v, %v", stdout, s, err)
	}
	_, stderr, code = cli(t, "tree", "-proc", "9", addr)
	if code != exitFail || !strings.Contains(stderr, "does not expose its live view at procedure 9") {
		t.Errorf("tree -proc 9: exit %d, %q", code, stderr)
	}
}

// TestCompletion: ipfi completion bash prints a script that bash can
// source, which completes the commands, a command's flags and ADDR's
// forms.
func TestCompletion(t *testing.T) {
	stdout, stderr, code := cli(t, "completion", "bash")
	wantOK(t, []string{"completion", "bash"}, stdout, stderr, code)
	for _, want := range []string{"complete -F _ipfi ipfi", `tree) flags="-cacert -cert -insecure -json -key -proc -timeout"`, `bench) flags="-c -cacert -cert -conns -d -i -insecure -key -timeout"`, `serve) flags="-cert -clientca -drain -key -tree -v"`, "tls://", "call ping serve bench tree completion help"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the script lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := cli(t, "completion", "fish"); code != exitUsage || !strings.Contains(stderr, "bash is the one") {
		t.Errorf("completion fish: exit %d, %q", code, stderr)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to source the script with")
	}
	script := filepath.Join(t.TempDir(), "ipfi.bash")
	if err := os.WriteFile(script, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-c", `source "$1"
COMP_WORDS=(ipfi tr); COMP_CWORD=1; _ipfi; echo "${COMPREPLY[@]}"
COMP_WORDS=(ipfi tree -j); COMP_CWORD=2; _ipfi; echo "${COMPREPLY[@]}"
COMP_WORDS=(ipfi call un); COMP_CWORD=2; _ipfi; echo "${COMPREPLY[@]}"
COMP_WORDS=(ipfi call w); COMP_CWORD=2; _ipfi; echo "${COMPREPLY[@]}"`, "bash", script).CombinedOutput()
	if err != nil || string(out) != "tree\n-json\nunix://\nws:// wss://\n" {
		t.Errorf("bash completed %q, %v; want tree, -json, unix://, ws:// wss://", out, err)
	}
}

// TestCallErrorRemoteDeadline: a call whose deadline the callee saw pass
// first (its CodeDeadline answer beat the caller's own timer) reads as the
// caller's timeout, as one the caller's timer ended does.
func TestCallErrorRemoteDeadline(t *testing.T) {
	for _, err := range []error{
		context.DeadlineExceeded,
		fmt.Errorf("remote call failed: %w", &ipfi.RemoteError{Code: ipfi.CodeDeadline, Message: "context deadline exceeded"}),
	} {
		got := callError(err, 5, 100*time.Millisecond)
		if got == nil || !strings.Contains(got.Error(), "no response within 100ms") {
			t.Errorf("callError(%v) = %v, want it to say no response within 100ms", err, got)
		}
	}
}
