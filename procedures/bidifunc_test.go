package procedures_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
)

// inputOf returns an Input that gives each of payloads, then io.EOF.
func inputOf(payloads ...[]byte) procedures.Input {
	return func() ([]byte, error) {
		if len(payloads) == 0 {
			return nil, io.EOF
		}
		b := payloads[0]
		payloads = payloads[1:]
		return b, nil
	}
}

func encoded(t *testing.T, v any) []byte {
	t.Helper()
	b, err := codec.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBidiFuncReceivesAndSends: a BidiFunc procedure reads each of its
// caller's values with recv, io.EOF after the last, and what it sends is
// emitted as one encoded value each.
func TestBidiFuncReceivesAndSends(t *testing.T) {
	p := procedures.BidiFunc(func(_ context.Context, recv func() (string, error), send func(string) error) error {
		for {
			s, err := recv()
			if err == io.EOF {
				return send("end")
			}
			if err != nil {
				return err
			}
			if err := send(strings.ToUpper(s)); err != nil {
				return err
			}
		}
	})
	if p.Kind() != procedures.KindBidi {
		t.Fatalf("kind %v, want %v", p.Kind(), procedures.KindBidi)
	}
	var got []string
	err := p.RunBidi(context.Background(), inputOf(encoded(t, "a"), encoded(t, "b")), func(b []byte) error {
		var s string
		if err := codec.Unmarshal(b, &s); err != nil {
			return err
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"A", "B", "end"}; !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// TestBidiFuncBadValue: a value that does not decode into the procedure's
// input type reaches recv as an error wrapping ErrBadArguments.
func TestBidiFuncBadValue(t *testing.T) {
	var recvErr error
	p := procedures.BidiFunc(func(_ context.Context, recv func() (int, error), _ func(int) error) error {
		_, recvErr = recv()
		return recvErr
	})
	err := p.RunBidi(context.Background(), inputOf(encoded(t, "not an int")), func([]byte) error { return nil })
	if !errors.Is(recvErr, procedures.ErrBadArguments) || !errors.Is(err, procedures.ErrBadArguments) {
		t.Errorf("recv: %v; procedure: %v; want both to match ErrBadArguments", recvErr, err)
	}
}
