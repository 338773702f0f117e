package ipfi_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// textPackages are the prefixes of this module's packages (and of
// msgpack/v5) that an error's text may start with: once, and only there.
var textPackages = map[string]bool{"ipfi": true, "codec": true, "procedures": true, "msgpack": true, "wire": true, "guest": true}

// checkErrorText fails unless err's text is want, and no "words: " segment
// of it appears twice or a package prefix anywhere but at the start.
func checkErrorText(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error text\n  %q\nwant\n  %q", err.Error(), want)
	}
	seen := map[string]bool{}
	for i, seg := range strings.Split(err.Error(), ": ") {
		if seen[seg] {
			t.Errorf("%q says %q twice", err, seg)
		}
		seen[seg] = true
		if textPackages[seg] && i > 0 {
			t.Errorf("%q has the package prefix %q inside", err, seg)
		}
	}
}

type textShape struct{ A, B, C int }

// textPair returns two interfaces joined in memory, b serving the
// procedures of the error-text tests, and a's wire; the test closes them.
func textPair(t *testing.T) (*ipfi.Interface, *ipfi.Wire) {
	t.Helper()
	a, b := newInterface(t), newInterface(t)
	t.Cleanup(func() { a.Close(); b.Close() })
	must(t, b.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return n, nil })))
	must(t, b.Register(2, procedures.Func1(func(_ context.Context, s textShape) (int, error) { return s.A, nil })))
	must(t, b.Register(3, procedures.Func0(func(context.Context) (chan int, error) { return make(chan int), nil })))
	must(t, b.Register(4, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
		if err := yield(1); err != nil {
			return err
		}
		return yield(2)
	})))
	wa, _, err := ipfitest.Pipe(a, b)
	must(t, err)
	return a, wa
}

func textCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestBadArgumentsReadOnce: a string sent to a procedure of an int, over
// a real pair of interfaces, fails with each thing said once, in Go's
// words, and still matches its sentinels and code.
func TestBadArgumentsReadOnce(t *testing.T) {
	_, w := textPair(t)
	_, err := ipfi.Call[int](textCtx(t), w, 1, "abcd")
	checkErrorText(t, err, "ipfi: remote call failed: bad arguments: argument 1 of 1: got string, want int")
	var re *ipfi.RemoteError
	if !errors.Is(err, procedures.ErrBadArguments) || !errors.Is(err, ipfi.ErrRemote) ||
		!errors.As(err, &re) || re.Code != ipfi.CodeBadArguments {
		t.Errorf("%v: want a *RemoteError with CodeBadArguments matching ErrBadArguments and ErrRemote", err)
	}
}

// TestStructCountsReachTheCaller: a struct argument sent with too few
// fields says how many it has and how many came.
func TestStructCountsReachTheCaller(t *testing.T) {
	_, w := textPair(t)
	_, err := ipfi.Call[int](textCtx(t), w, 2, []int{1, 2})
	checkErrorText(t, err, "ipfi: remote call failed: bad arguments: argument 1 of 1: struct ipfi_test.textShape has 3 fields, got an array of 2")
}

// TestShutdownRefusalReadOnce: a call a peer of this library refused
// because it is shutting down (it sends ErrShutdown's text with
// CodeShutdown) says "shutting down" once, and matches ErrShutdown.
func TestShutdownRefusalReadOnce(t *testing.T) {
	var err error = &ipfi.RemoteError{Code: ipfi.CodeShutdown, Message: ipfi.ErrShutdown.Error()}
	checkErrorText(t, err, "ipfi: remote call failed: shutting down")
	if !errors.Is(err, ipfi.ErrShutdown) {
		t.Errorf("%v does not match ErrShutdown", err)
	}
}

// TestEncodeErrorNamesProcedure: an argument that cannot be encoded fails
// before anything is sent, naming the procedure and the argument's
// position, through every way of sending arguments, and matches
// codec.ErrEncode.
func TestEncodeErrorNamesProcedure(t *testing.T) {
	_, w := textPair(t)
	ctx := textCtx(t)
	const want = "ipfi: procedure 1: argument 2 of 2: cannot encode chan int"
	check := func(name string, err error) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			checkErrorText(t, err, want)
			if !errors.Is(err, codec.ErrEncode) {
				t.Errorf("%v does not match codec.ErrEncode", err)
			}
		})
	}
	_, err := ipfi.Call[int](ctx, w, 1, 5, make(chan int))
	check("Call", err)
	check("Wire.Call", w.Call(ctx, 1, nil, 5, make(chan int)))
	_, err = w.Start(ctx, 1, 5, make(chan int))
	check("Wire.Start", err)
	_, err = ipfi.Call[int](ctx, w, 1, ipfi.Raw{0x05}, make(chan int))
	check("Call_with_Raw", err)
	s, err := w.Open(ctx, 1)
	must(t, err)
	defer s.Close()
	check("Stream.Send", s.Send(5, make(chan int)))

	// The wire is still usable: nothing was sent.
	if n, err := ipfi.Call[int](ctx, w, 1, 7); n != 7 || err != nil {
		t.Errorf("a call after the failed ones: %v, %v", n, err)
	}
}

// TestStreamEncodeErrorNamesProcedure: Wire.Stream's arguments that
// cannot be encoded fail with the procedure, the argument's position and
// type, "ipfi" said once, matching codec.ErrEncode.
func TestStreamEncodeErrorNamesProcedure(t *testing.T) {
	_, w := textPair(t)
	_, err := w.Stream(textCtx(t), 4, []any{5, make(chan int)})
	if err == nil || !strings.Contains(err.Error(), "procedure 4: argument 2 of 2: cannot encode chan int") || !errors.Is(err, codec.ErrEncode) {
		t.Fatalf("Wire.Stream = %v, want an error matching codec.ErrEncode for procedure 4's argument 2 of 2", err)
	}
	checkErrorText(t, err, err.Error())
}

// TestBadResultNamesProcedureOnBothSides: a result the procedure cannot
// encode fails the call with the procedure named, as the serving side's
// interceptor sees it too.
func TestBadResultNamesProcedureOnBothSides(t *testing.T) {
	served := make(chan error, 1)
	a := newInterface(t)
	b := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{
		Server: func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
			err := next(ctx)
			served <- err
			return err
		},
	}))
	defer a.Close()
	defer b.Close()
	must(t, b.Register(3, procedures.Func0(func(context.Context) (chan int, error) { return make(chan int), nil })))
	w, _, err := ipfitest.Pipe(a, b)
	must(t, err)
	_, err = ipfi.Call[int](textCtx(t), w, 3)
	checkErrorText(t, err, "ipfi: remote call failed: procedure error: procedure 3: cannot encode result: chan int")
	serr := <-served
	checkErrorText(t, serr, "procedures: procedure 3: cannot encode result: chan int")
	if !errors.Is(serr, procedures.ErrBadResult) || !errors.Is(serr, codec.ErrEncode) {
		t.Errorf("%v does not match ErrBadResult and codec.ErrEncode", serr)
	}
}

// TestStreamedSaysHowToReadIt: Call on a streaming procedure, Raw reply
// included, fails with ErrStreamed naming the ways to read a stream.
func TestStreamedSaysHowToReadIt(t *testing.T) {
	_, w := textPair(t)
	_, err := ipfi.Call[ipfi.Raw](textCtx(t), w, 4)
	if !errors.Is(err, ipfi.ErrStreamed) {
		t.Fatalf("Call[Raw] of a stream = %v, want ErrStreamed", err)
	}
	checkErrorText(t, err, "ipfi: procedure 4 answered with a stream of 2 chunks: read it with Iter, Collect or Wire.Stream (Iter[Raw] for its values as they came)")
	for _, text := range []string{err.Error(), ipfi.ErrStreamed.Error()} {
		for _, way := range []string{"Iter", "Collect", "Wire.Stream"} {
			if !strings.Contains(text, way) {
				t.Errorf("%q does not name %s", text, way)
			}
		}
	}
	// The way it names works.
	vals, err := ipfi.Collect[ipfi.Raw](textCtx(t), w, 4)
	if err != nil || len(vals) != 2 {
		t.Errorf("Collect[Raw] = %x, %v", vals, err)
	}
}

// TestDecodeErrorReadsOnce: a response that does not decode into the
// reply's type names the procedure and the types in Go's words, with
// "ipfi" said once, for Call and for a stream's Recv.
func TestDecodeErrorReadsOnce(t *testing.T) {
	_, w := textPair(t)
	ctx := textCtx(t)
	_, err := ipfi.Call[string](ctx, w, 1, 5)
	checkErrorText(t, err, "ipfi: cannot decode the response of procedure 1: got int, want string")
	if !errors.Is(err, ipfi.ErrDecode) {
		t.Errorf("%v does not match ErrDecode", err)
	}
	var last error
	for _, err := range ipfi.Iter[string](ctx, w, 4) {
		last = err
	}
	checkErrorText(t, last, "ipfi: cannot decode the response of procedure 4: got int, want string")
	if !errors.Is(last, ipfi.ErrDecode) {
		t.Errorf("%v does not match ErrDecode", last)
	}
}

// TestWireEndReadsOnce: a call on a wire its peer ended says "ipfi" once.
func TestWireEndReadsOnce(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	defer a.Close()
	defer b.Close()
	// Over loopback TCP the Termination message b writes as it closes is
	// read before the end of the stream, whatever a is doing (over
	// net.Pipe, a write of a's could fail first).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	ca, err := net.Dial("tcp", l.Addr().String())
	must(t, err)
	cb := <-accepted
	if cb == nil {
		t.Fatal("accept failed")
	}
	wa, err := a.Connect(ca, ca)
	must(t, err)
	wb, err := b.Connect(cb, cb)
	must(t, err)
	_, err = wa.Ping(textCtx(t)) // both have announced and nothing is in flight
	must(t, err)
	must(t, wb.Close())
	<-wa.Done()
	_, err = ipfi.Call[int](textCtx(t), wa, 1)
	checkErrorText(t, err, "ipfi: wire terminated: peer terminated the wire")
	if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrPeerTerminated) {
		t.Errorf("%v does not match ErrWireTerminated and ErrPeerTerminated", err)
	}
}

// TestMetadataLimitReadsOnce: metadata over its limits fails the call
// with one package prefix, matching ErrLimit and the wire's sentinel.
func TestMetadataLimitReadsOnce(t *testing.T) {
	_, w := textPair(t)
	ctx := ipfi.AppendMetadata(textCtx(t), "k", strings.Repeat("v", wire.MaxMetadataBytes))
	_, err := ipfi.Call[int](ctx, w, 1, 1)
	checkErrorText(t, err, "ipfi: limit exceeded: metadata over its limits")
	if !errors.Is(err, ipfi.ErrLimit) || !errors.Is(err, wire.ErrMetadataTooLarge) {
		t.Errorf("%v does not match ErrLimit and wire.ErrMetadataTooLarge", err)
	}
}

// TestShutdownDocsSayHowToRetry: the documentation of ErrShutdown and of
// both Shutdown methods says that the refused call did not run and how to
// retry it: on another wire, or later with a backoff, not in a tight
// loop; ErrStreamed's names the ways to read a stream.
func TestShutdownDocsSayHowToRetry(t *testing.T) {
	docs := packageDocs(t, "errors.go", "interface.go", "wire.go")
	for _, name := range []string{"ErrShutdown", "Interface.Shutdown", "Wire.Shutdown"} {
		doc := docs[name]
		for _, want := range []string{"did not run", "another wire", "backoff", "tight loop"} {
			if !strings.Contains(doc, want) {
				t.Errorf("the doc of %s does not say %q:\n%s", name, want, doc)
			}
		}
	}
	for _, want := range []string{"Iter", "Collect", "Wire.Stream", "Raw"} {
		if !strings.Contains(docs["ErrStreamed"], want) {
			t.Errorf("the doc of ErrStreamed does not name %s:\n%s", want, docs["ErrStreamed"])
		}
	}
}

// packageDocs returns the doc comments, with lines joined, of the
// variables and methods declared in files of this package, by name
// ("ErrShutdown", "Wire.Shutdown").
func packageDocs(t *testing.T, files ...string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		must(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				docs[funcKey(d)] = strings.Join(strings.Fields(d.Doc.Text()), " ")
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						for _, n := range vs.Names {
							docs[n.Name] = strings.Join(strings.Fields(vs.Doc.Text()), " ")
						}
					}
				}
			}
		}
	}
	return docs
}

// funcKey names a function "F", a method on a pointer "T.M".
func funcKey(d *ast.FuncDecl) string {
	if d.Recv != nil && len(d.Recv.List) == 1 {
		if star, ok := d.Recv.List[0].Type.(*ast.StarExpr); ok {
			if id, ok := star.X.(*ast.Ident); ok {
				return id.Name + "." + d.Name.Name
			}
		}
	}
	return d.Name.Name
}
