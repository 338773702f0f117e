package procedures_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
)

// packageWords are the prefixes of this module's packages (and of
// msgpack/v5) that an error's text may start with: once, and only there.
var packageWords = map[string]bool{"ipfi": true, "codec": true, "procedures": true, "msgpack": true, "wire": true, "guest": true}

// checkText fails unless err's text is want, and no "words: " segment of
// it appears twice or a package prefix anywhere but at the start.
func checkText(t testing.TB, err error, want string) {
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
		if packageWords[seg] && i > 0 {
			t.Errorf("%q has the package prefix %q inside", err, seg)
		}
	}
}

// TestBadArgumentsSaidOnce: an argument of the wrong type fails with
// "procedures: bad arguments" once, then the argument and what came in
// Go's words, matching ErrBadArguments and codec.ErrArgs.
func TestBadArgumentsSaidOnce(t *testing.T) {
	p := procedures.Func1(func(_ context.Context, n int) (int, error) { return n, nil })
	_, err := p.Invoke(context.Background(), mustHex(t, "a461626364")) // "abcd"
	checkText(t, err, "procedures: bad arguments: argument 1 of 1: got string, want int")
	if !errors.Is(err, procedures.ErrBadArguments) || !errors.Is(err, codec.ErrArgs) {
		t.Errorf("%v does not match ErrBadArguments and codec.ErrArgs", err)
	}

	seq := procedures.Sequence1(func(_ context.Context, s struct{ A, B, C int }, yield func(int) error) error { return nil })
	err = seq.Stream(context.Background(), mustHex(t, "920102"), func([]byte) error { return nil })
	checkText(t, err, "procedures: bad arguments: argument 1 of 1: struct struct { A int; B int; C int } has 3 fields, got an array of 2")
}

// TestBidiBadValueSaidOnce: a bidirectional procedure's value that does
// not decode says "bad arguments" once and the codec's words without its
// prefix.
func TestBidiBadValueSaidOnce(t *testing.T) {
	var inErr error
	p := procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], _ func(int) error) error {
		for _, err := range in {
			inErr = err
			return err
		}
		return nil
	})
	sent := false
	next := func() ([]byte, error) {
		if sent {
			return nil, errors.New("read twice")
		}
		sent = true
		return mustHex(t, "a178"), nil
	}
	_ = p.RunBidi(context.Background(), next, func([]byte) error { return nil })
	checkText(t, inErr, "procedures: bad arguments: got string, want int")
	if !errors.Is(inErr, procedures.ErrBadArguments) {
		t.Errorf("%v does not match ErrBadArguments", inErr)
	}
}

// TestBadResultNamesItsProcedure: a result that cannot be encoded fails
// with an error matching ErrBadResult and codec.ErrEncode that names the
// procedure's index when the procedure was looked up in a registry, and
// the result's type.
func TestBadResultNamesItsProcedure(t *testing.T) {
	var r procedures.Registry
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Register(3, procedures.Func0(func(context.Context) (chan int, error) { return make(chan int), nil })))
	must(r.Register(4, procedures.Sequence0(func(_ context.Context, yield func(func()) error) error {
		return yield(func() {})
	})))

	p, _ := r.Lookup(3)
	_, err := p.Invoke(context.Background(), nil)
	checkText(t, err, "procedures: procedure 3: cannot encode result: chan int")
	if !errors.Is(err, procedures.ErrBadResult) || !errors.Is(err, codec.ErrEncode) {
		t.Errorf("%v does not match ErrBadResult and codec.ErrEncode", err)
	}

	s, _ := r.Lookup(4)
	err = s.Stream(context.Background(), nil, func([]byte) error { return nil })
	checkText(t, err, "procedures: procedure 4: cannot encode result: func()")
	if !errors.Is(err, procedures.ErrBadResult) {
		t.Errorf("%v does not match ErrBadResult", err)
	}

	// Outside a registry the procedure has no index to name.
	unregistered := procedures.Func0(func(context.Context) (chan int, error) { return nil, nil })
	_, err = unregistered.Invoke(context.Background(), nil)
	checkText(t, err, "procedures: cannot encode result: chan int")
}
