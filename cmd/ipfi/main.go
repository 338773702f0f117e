// Command ipfi calls, pings, serves and load-tests IPFI procedures from the
// command line.
//
// Usage:
//
//	ipfi call  [-timeout 10s] [TLS] ADDR PROC [ARGS...]   call procedure PROC with JSON ARGS, print the result as JSON
//	ipfi ping  [-n 1] [-i 1s] [-timeout 10s] [TLS] ADDR    measure round trips
//	ipfi serve [-drain 5s] [-v] [-tree=true] [-cert FILE -key FILE] [-clientca FILE] ADDR    serve the example procedures until interrupted
//	ipfi bench [-c 8] [-conns 1] [-d 5s] [-i 1s] [-timeout 10s] [TLS] ADDR PROC [ARGS...]   call PROC in a loop, print a latency histogram
//	ipfi tree  [-proc 65535] [-json] [-timeout 10s] [TLS] ADDR   print an interface's live view
//	ipfi completion bash                             print a bash completion script
//	ipfi help [COMMAND]
//
// ADDR is tcp://host:port, tls://host:port (TCP with TLS),
// ws://host:port/path or wss://host:port/path (a WebSocket at path, "/"
// when the address has none, over HTTP or HTTPS), unix:///path or
// exec:command args (a child process spoken to over its stdio; the words
// are split at spaces). serve also takes stdio:, to be the child process
// of exec:
//
//	ipfi call 'exec:ipfi serve stdio:' 1 '"John"' '"Doe"'
//
// serve ws:// and wss:// run an HTTP (HTTPS) server that upgrades
// requests for path, and only those (with path "/", every request), to
// wires:
//
//	ipfi serve ws://127.0.0.1:7072/ipfi
//	ipfi call ws://127.0.0.1:7072/ipfi 1 '"John"' '"Doe"'
//
// With tls:// and wss://, serve uses -cert and -key (PEM files) or else makes a
// self-signed certificate for the host of ADDR, valid for 30 days, and
// prints its SHA-256 fingerprint on stderr; -clientca requires client
// certificates signed by one in a PEM file. The dialling commands take
// the TLS flags [-cacert FILE] [-cert FILE -key FILE] [-insecure]: they
// verify the server against the system's roots, or -cacert's; -cert and
// -key present a client certificate; -insecure verifies nothing (and says
// so on stderr). A TLS flag with another scheme is a usage error.
// wss:// takes the same flags as tls://.
//
//	ipfi serve tls://127.0.0.1:7071
//	ipfi call -cacert server.pem tls://127.0.0.1:7071 1 '"John"' '"Doe"'
//
// Each ARG is one JSON value, sent as MessagePack: a number written without
// a fraction or an exponent as an integer, any other as a float; objects as
// maps. The response's values are printed as JSON, one per line (a
// streaming procedure's several values, a plain one's single value).
//
// The exit status is 0 on success, 1 when the command fails (a bad address
// or JSON argument, a connection refused, a remote error) with one line on
// stderr saying why, and 2 for a command line it cannot parse.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/ipfi-go/ipfi/procedures"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second signal kills at once
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // the command line did not parse
)

// command is one subcommand.
type command struct {
	name    string
	args    string // the positional arguments, for usage
	summary string
	// run runs the command with its arguments after the name; flags
	// declares its flags on fs, which run parses.
	run func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error
}

// commands are the subcommands, in the order usage lists them.
var commands = []command{
	{"call", "ADDR PROC [ARGS...]", "call procedure PROC with JSON ARGS and print the result as JSON, one value per line", runCall},
	{"ping", "ADDR", "measure the round trip to ADDR", runPing},
	{"serve", "ADDR", "serve the example procedures at ADDR (or stdio:) until interrupted", runServe},
	{"bench", "ADDR PROC [ARGS...]", "call PROC from concurrent workers over -conns connections and print a latency histogram", runBench},
	{"tree", "ADDR", "print the live view (wires, open calls) of an interface that exposes it, as ipfi serve does", runTree},
}

// usageError is a command line that did not parse: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run runs the command line args (without the program's name) and returns
// the exit status. ctx ends a serve, and cuts a bench short.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fs := newFlagSet(c, stdout)
				_ = c.run(ctx, fs, []string{"-h"}, stdout, stderr)
				return exitOK
			}
			fmt.Fprintf(stderr, "ipfi: unknown command %q\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "ipfi: unknown command %q\n", name)
		usage(stderr)
		return exitUsage
	}
	err := c.run(ctx, newFlagSet(c, stderr), args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ipfi %s: %v\nusage: ipfi %s [flags] %s (ipfi help %s)\n", name, err, name, c.args, name)
		return exitUsage
	case errors.Is(err, errFlags):
		return exitUsage // the flag package has said why
	}
	fmt.Fprintf(stderr, "ipfi %s: %s\n", name, oneLine(err.Error()))
	return exitFail
}

// errFlags is a flag that did not parse; the FlagSet has printed why.
var errFlags = errors.New("bad flags")

// parseFlags parses args with fs and checks the number of positional
// arguments: at least min, at most max (-1: any number).
func parseFlags(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errFlags
	}
	rest := fs.Args()
	switch {
	case len(rest) < min:
		return nil, usageError{"too few arguments"}
	case max >= 0 && len(rest) > max:
		return nil, usageError{fmt.Sprintf("unexpected arguments %q", rest[max:])}
	}
	return rest, nil
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// newFlagSet returns an empty flag set for c whose usage goes to out.
func newFlagSet(c *command, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ipfi "+c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: ipfi %s [flags] %s\n\n%s.\n", c.name, c.args, capitalize(c.summary))
		if strings.Contains(c.args, "ADDR") {
			fmt.Fprintf(out, "ADDR is %s.\n", addrForms)
		}
		if strings.Contains(c.args, "ARGS") {
			fmt.Fprintln(out, "Each ARG is one JSON value (a string needs its quotes: '\"John\"').")
		}
		fmt.Fprintln(out, "\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

// usage lists the commands.
func usage(out io.Writer) {
	fmt.Fprintln(out, "ipfi calls, pings, serves and load-tests IPFI procedures.")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "usage:")
	w := len("help")
	for _, c := range commands {
		w = max(w, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(out, "  ipfi %-*s [flags] %-20s %s\n", w, c.name, c.args, c.summary)
	}
	fmt.Fprintf(out, "  ipfi %-*s %-28s %s\n", w, "help", "[COMMAND]", "print this, or a command's flags")
	fmt.Fprintln(out)
	fmt.Fprintf(out, "ADDR is %s (a child process over its stdio);\n", addrForms)
	fmt.Fprintln(out, "serve also takes stdio:, so that 'exec:ipfi serve stdio:' is an ADDR.")
	fmt.Fprintln(out, "ws:// and wss:// are a WebSocket at the address's path (\"/\" if none), over HTTP or HTTPS.")
	fmt.Fprintln(out, "tls:// and wss:// serve with -cert and -key, or a self-signed certificate whose fingerprint it prints;")
	fmt.Fprintln(out, "the other commands verify it against the system's roots or -cacert (-insecure: not at all).")
	fmt.Fprintln(out, "Each ARG is one JSON value, sent as MessagePack; results print as JSON, one value per line.")
}

// parseTarget parses "ADDR PROC [ARGS...]", the operands of call and
// bench: the address, the procedure's index and the arguments encoded as
// one MessagePack payload.
func parseTarget(operands []string) (address, procedures.Index, []byte, error) {
	addr, err := parseAddr(operands[0])
	if err != nil {
		return address{}, 0, nil, err
	}
	proc, err := parseProc(operands[1])
	if err != nil {
		return address{}, 0, nil, err
	}
	payload, err := encodeArgs(operands[2:])
	if err != nil {
		return address{}, 0, nil, err
	}
	return addr, proc, payload, nil
}

// parseProc parses a procedure index.
func parseProc(s string) (procedures.Index, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad procedure index %q: want an unsigned integer", s)
	}
	return procedures.Index(n), nil
}

// encodeArgs encodes the JSON arguments as one call's payload: their
// MessagePack values, one after another.
func encodeArgs(args []string) ([]byte, error) {
	var payload []byte
	for i, a := range args {
		var err error
		if payload, err = jsonToMsgpack(payload, a); err != nil {
			hint := ""
			if len(a) > 0 && !strings.ContainsAny(a[:1], "\"[{-0123456789tfn") {
				hint = fmt.Sprintf(" (a string needs JSON quotes: '%q')", a)
			}
			return nil, fmt.Errorf("argument %d, %q, is not a JSON value: %v%s", i+1, a, err, hint)
		}
	}
	return payload, nil
}

// oneLine joins a message's lines, so an error is one line on stderr.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
