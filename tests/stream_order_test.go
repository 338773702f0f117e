package tests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestLongStreamsArriveWholeAndInOrder: streams of 100,000 small values,
// four at once on one wire so that their frames interleave within a read
// chunk, arrive complete and in order on every transport. A read chunk of a
// fast stream holds thousands of frames, collected in blocks and handed to
// the call actors in stretches; this checks nothing is lost, duplicated or
// reordered across those seams.
func TestLongStreamsArriveWholeAndInOrder(t *testing.T) {
	const n, streams = 100_000, 4
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			count := n
			if tr == oneByte {
				count = n / 50 // one byte per Read: keep it short
			}
			callee, caller := newInterface(t), newInterface(t)
			must(t, callee.Register(1, procedures.Sequence2(orderCount)))
			w, _ := connect(t, tr, caller, callee)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			inParallel(t, streams, func(s int) error {
				return orderCheckStream(ctx, w, s, count)
			})
		})
	}
}

// orderCount is the procedure of TestLongStreamsArriveWholeAndInOrder: it
// yields the k ints from from on.
func orderCount(_ context.Context, from, k int, yield func(int) error) error {
	for i := range k {
		if err := yield(from + i); err != nil {
			return err
		}
	}
	return nil
}

// orderCheckStream reads stream s of TestLongStreamsArriveWholeAndInOrder
// on w (the count ints from s*1,000,000 on) and checks that every value
// arrives, once and in order.
func orderCheckStream(ctx context.Context, w *ipfi.Wire, s, count int) error {
	from, want := s*1_000_000, 0
	for v, err := range ipfi.Iter[int](ctx, w, 1, s*1_000_000, count) {
		if err == nil && v != from+want {
			err = fmt.Errorf("stream %d: value %d is %d, want %d", s, want, v, from+want)
		}
		if err != nil {
			return err
		}
		want++
	}
	if want != count {
		return fmt.Errorf("stream %d: %d values, want %d", s, want, count)
	}
	return nil
}

// TestCollectedStreamKeepsEveryValue: a plain call to a sequence procedure
// collects every value of the response (arriving in runs) before it reports
// ErrStreamed with their count.
func TestCollectedStreamKeepsEveryValue(t *testing.T) {
	const n = 5000
	for _, tr := range []transport{tcp, pipe} {
		t.Run(string(tr), func(t *testing.T) {
			callee, caller := newInterface(t), newInterface(t)
			must(t, callee.Register(1, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
				for i := range n {
					if err := yield(i); err != nil {
						return err
					}
				}
				return nil
			})))
			w, _ := connect(t, tr, caller, callee)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(nil))
			if want := fmt.Sprintf("of %d chunks", n); !errors.Is(err, ipfi.ErrStreamed) || !strings.Contains(err.Error(), want) {
				t.Fatalf("a Raw call = %v, want ErrStreamed %s", err, want)
			}
		})
	}
}

// TestEmptyStreams: a sequence that yields nothing and a raw stream that
// returns without sending Complete end their streams with no value (the
// empty Complete that ends them is not a value). To a caller without the
// extensions an empty Complete is an empty stream when no value came before
// it (the Rust crate's empty sequence), and how failure looks after values
// (actors/STATES.md, "The empty Complete").
func TestEmptyStreams(t *testing.T) {
	callee := newInterface(t)
	must(t, callee.Register(1, procedures.Sequence0(func(context.Context, func(int) error) error { return nil })))
	must(t, callee.Register(2, procedures.RawStream(func(_ context.Context, _ []byte, send procedures.Sender) error {
		return send([]byte{0x07}, wire.TermChunk) // one value, then return: an empty Complete ends it
	})))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	caller := newInterface(t)
	w, _ := connect(t, tcp, caller, callee)
	if got, err := ipfi.Collect[int](ctx, w, 1); err != nil || len(got) != 0 {
		t.Fatalf("empty sequence: %v, %v; want no values and no error", got, err)
	}
	if got, err := ipfi.Collect[int](ctx, w, 2); err != nil || !slices.Equal(got, []int{7}) {
		t.Fatalf("raw stream: %v, %v; want [7] and no error", got, err)
	}

	ca, cb := tcpPair(t)
	wp, err := newInterface(t).Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	_, err = callee.Connect(cb, cb)
	must(t, err)
	if got, err := ipfi.Collect[int](ctx, wp, 1); err != nil || len(got) != 0 {
		t.Fatalf("empty sequence to a plain caller: %v, %v; want no values and no error", got, err)
	}
	if got, err := ipfi.Collect[int](ctx, wp, 2); !errors.Is(err, ipfi.ErrRemote) || !slices.Equal(got, []int{7}) {
		t.Fatalf("raw stream ended by an empty Complete after a value, to a plain caller: %v, %v; want [7], ErrRemote", got, err)
	}
}
