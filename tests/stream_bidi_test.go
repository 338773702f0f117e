package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestBidiProcedureEchoesWhileReceiving: a bidirectional procedure answers
// each value as it arrives, while its caller is still sending: one
// goroutine sends 1,000 values then CloseSend, another reads the 1,000
// doubled values in order, then io.EOF. Halfway, the sender waits until the
// answers to the first half have come back (all but the last, which the
// procedure holds back until its next yield) before sending the rest: a
// procedure that waited for the whole input would hang the test.
func TestBidiProcedureEchoesWhileReceiving(t *testing.T) {
	const n = 1000
	for _, tr := range []transport{tcp, pipe} {
		t.Run(string(tr), func(t *testing.T) {
			a, b := newInterface(t), newInterface(t)
			must(t, b.Register(1, procedures.Bidi(bidiEchoDouble)))
			wa, _ := connect(t, tr, a, b)
			ctx := bounded(t, 20*time.Second)

			s, err := wa.Open(ctx, 1)
			must(t, err)
			defer s.Close()
			halfway := make(chan struct{})
			sent := make(chan error, 1)
			go func() { sent <- bidiEchoSend(ctx, s, n, halfway) }()
			received := make(chan error, 1)
			go func() { received <- bidiEchoReceive(s, n, halfway) }()
			// Wait for both, whatever happens, so neither outlives the test.
			errs := []error{<-sent, <-received}
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// bidiEchoDouble is the procedure of TestBidiProcedureEchoesWhileReceiving:
// it answers each value of its input with its double as it arrives.
func bidiEchoDouble(ctx context.Context, in iter.Seq2[int, error], yield func(int) error) error {
	for v, err := range in {
		if err != nil {
			return err
		}
		if err := yield(v * 2); err != nil {
			return err
		}
	}
	return nil
}

// bidiEchoSend is the sender of TestBidiProcedureEchoesWhileReceiving: it
// sends 0..n-1 on s, then CloseSend; before value n/2 it waits until
// halfway is closed (the answers to the first half have come back) or ctx
// ends.
func bidiEchoSend(ctx context.Context, s *ipfi.Stream, n int, halfway <-chan struct{}) error {
	for i := range n {
		if i == n/2 {
			select {
			case <-halfway:
			case <-ctx.Done():
				return fmt.Errorf("no answer to the first %d values while the input was open", n/2-1)
			}
		}
		if err := s.Send(i); err != nil {
			return fmt.Errorf("Send(%d): %w", i, err)
		}
	}
	return s.CloseSend()
}

// bidiEchoReceive is the reader of TestBidiProcedureEchoesWhileReceiving: it
// reads the n doubled values in order, then io.EOF, closing halfway once
// it has read the first n/2-1 (the first half but its last, which the
// procedure holds back until its next yield).
func bidiEchoReceive(s *ipfi.Stream, n int, halfway chan<- struct{}) error {
	for i := range n {
		if i == n/2-1 {
			close(halfway)
		}
		var v int
		if err := s.Recv(&v); err != nil {
			return fmt.Errorf("value %d: %w", i, err)
		}
		if v != 2*i {
			return fmt.Errorf("value %d = %d, want %d", i, v, 2*i)
		}
	}
	if err := s.Recv(nil); err != io.EOF {
		return fmt.Errorf("after %d values: %v, want io.EOF", n, err)
	}
	return nil
}

// TestBidiArgumentFlowControl: a bidirectional procedure takes its input
// only when the test releases it, one value at a time. The caller's Send
// must be held back by the argument window: each time a Send returns, the
// bytes sent minus the bytes of the values released (a bound on what the
// callee has taken, hence granted back) must not exceed the implicit 64
// KiB window plus one message (a Send may overdraw its credit by its own
// size). With nothing taken, the sender must stop after the sends the
// initial window allows. Then everything is released and every value must
// reach the procedure, intact and in order.
//
// The 48 KiB case sends a first message over half the window, which the
// callee's argument accounting handles on a separate path.
func TestBidiArgumentFlowControl(t *testing.T) {
	for _, size := range []int{16 << 10, 48 << 10} {
		t.Run(fmt.Sprintf("%dKiB", size>>10), func(t *testing.T) {
			testBidiArgumentFlowControl(t, size)
		})
	}
}

func testBidiArgumentFlowControl(t *testing.T, size int) {
	const (
		n         = 32
		stepwise  = 8 // values released one at a time before the rest
		window    = wire.InitialCredit
		procIndex = 1
	)
	payload, err := codec.AppendArgs(nil, make([]byte, size))
	must(t, err)
	msg := int64(len(payload)) // bytes one Send sends (and one value takes)
	initial := (window + msg - 1) / msg
	a, b := newInterface(t), newInterface(t)

	release := make(chan struct{})
	took := make(chan int, n)
	proc := &bidiFlowTaker{size: size, release: release, took: took}
	must(t, b.Register(procIndex, procedures.Bidi(proc.run)))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 20*time.Second)

	s, err := wa.Open(ctx, procIndex)
	must(t, err)
	snd := &bidiFlowSender{
		s: s, n: n, size: size, msg: msg, window: window, initial: initial,
		initialUsed: make(chan struct{}),
		done:        make(chan error, 1),
	}
	go snd.run()
	defer func() {
		s.Close() // unblocks the sender if the test failed early
		snd.wait(ctx)
	}()

	// Nothing taken yet: the sender uses the initial window, then blocks.
	receive(t, ctx, snd.initialUsed, "sender could not use the initial window")
	// Any credit the callee granted before its pong is applied once Ping
	// returns; once the sender is parked in Send it has acted on all of it.
	if _, err := wa.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	waitParked(t, ctx, inSend, 1)
	if k := snd.sent.Load(); k != initial {
		t.Errorf("with nothing taken, %d Sends of %d bytes returned; the %d-byte window allows %d", k, msg, window, initial)
	}

	// Release values one by one; the sender checks the bound as it goes.
	for i := range stepwise {
		snd.released.Add(1)
		select {
		case release <- struct{}{}:
		case <-ctx.Done():
			t.Fatalf("hang: procedure did not ask for value %d", i)
		}
		if got := receive(t, ctx, took, fmt.Sprintf("procedure did not take value %d", i)); got != i {
			t.Fatalf("procedure took value %d, want %d", got, i)
		}
	}
	// Then everything.
	snd.released.Store(n)
	close(release)
	for i := range n {
		var v int
		if err := s.Recv(&v); err != nil || v != i {
			t.Fatalf("answer %d: %v, %v", i, v, err)
		}
	}
	if err := s.Recv(nil); err != io.EOF {
		t.Fatalf("after %d answers: %v, want io.EOF", n, err)
	}
	if err := snd.wait(ctx); err != nil {
		t.Fatal(err)
	}
	snd.mu.Lock()
	defer snd.mu.Unlock()
	for _, v := range snd.violations {
		t.Error("sender not held back: " + v)
	}
}

// bidiFlowTaker is the procedure of testBidiArgumentFlowControl: it takes
// its next input value only when release lets it, reports the value's
// index on took, checks that it is size bytes of that index, and answers
// the index.
type bidiFlowTaker struct {
	size    int
	release <-chan struct{}
	took    chan<- int
}

func (p *bidiFlowTaker) run(ctx context.Context, in iter.Seq2[[]byte, error], yield func(int) error) error {
	next, stop := iter.Pull2(in)
	defer stop()
	for i := 0; ; i++ {
		select {
		case <-p.release:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		v, err, ok := next()
		if !ok {
			return nil
		}
		if err != nil {
			return err
		}
		p.took <- i
		if len(v) != p.size || v[0] != byte(i) || v[p.size-1] != byte(i) {
			return fmt.Errorf("value %d: %d bytes starting with %d", i, len(v), v[0])
		}
		if err := yield(i); err != nil {
			return err
		}
	}
}

// bidiFlowSender is the sender of testBidiArgumentFlowControl: it sends n
// values of size bytes (value i made of byte i) on s, then CloseSend, and
// records each Send that returns more than the window plus one message
// (msg bytes) ahead of the values released to the procedure.
type bidiFlowSender struct {
	s                    *ipfi.Stream
	n, size              int
	msg, window, initial int64

	released    atomic.Int64  // values the test has released to the procedure
	sent        atomic.Int64  // Sends that have returned
	initialUsed chan struct{} // closed once initial Sends have returned
	done        chan error    // what the sender ended with

	mu         sync.Mutex
	violations []string // Sends that returned too far ahead

	ended bool  // wait has had the sender's end
	err   error // what wait had
}

func (snd *bidiFlowSender) run() {
	for i := range snd.n {
		if err := snd.s.Send(bytes.Repeat([]byte{byte(i)}, snd.size)); err != nil {
			snd.done <- fmt.Errorf("Send(%d): %w", i, err)
			return
		}
		k, r := snd.sent.Add(1), snd.released.Load()
		if ahead := (k - r) * snd.msg; ahead > snd.window+snd.msg {
			snd.mu.Lock()
			snd.violations = append(snd.violations, fmt.Sprintf(
				"after %d Sends with %d values released: %d bytes ahead of the callee, allowed %d", k, r, ahead, snd.window+snd.msg))
			snd.mu.Unlock()
		}
		if k == snd.initial {
			close(snd.initialUsed)
		}
	}
	snd.done <- snd.s.CloseSend()
}

// wait waits for the sender to end, or for ctx to, and returns what it
// ended with; after the first call it returns the same at once.
func (snd *bidiFlowSender) wait(ctx context.Context) error {
	if !snd.ended {
		snd.ended = true
		select {
		case snd.err = <-snd.done:
		case <-ctx.Done():
			snd.err = errors.New("hang: sender did not finish")
		}
	}
	return snd.err
}
