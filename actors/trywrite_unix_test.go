//go:build unix

package actors

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// TestTryWriterOnPipes: an os.Pipe's write end (non-blocking, as
// ConnectCmd's are) gets non-blocking writes, which take what the pipe has
// room for and report 0 once it is full; the same pipe in blocking mode
// gets none (a write could park the thread).
func TestTryWriterOnPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	try, _ := transportWriters(w)
	if try == nil {
		t.Fatal("no non-blocking writes on a non-blocking pipe")
	}
	if n, err := try([]byte("hello")); n != 5 || err != nil {
		t.Fatalf("try = %d, %v", n, err)
	}
	buf := make([]byte, 1<<20)
	full := false
	for range 64 { // a pipe holds 64 KiB to 1 MiB: it fills
		n, err := try(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			full = true
			break
		}
	}
	if !full {
		t.Fatal("a pipe nobody reads never reported full")
	}

	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	defer w2.Close()
	if err := syscall.SetNonblock(int(w2.Fd()), false); err != nil { // Fd also sets blocking mode
		t.Fatal(err)
	}
	if try, _ := transportWriters(w2); try != nil {
		t.Fatal("non-blocking writes on a blocking pipe")
	}
}

// TestWriterWaitsForTheTransportUntilItsContextEnds: a caller whose
// context can end writes a large frame from its own slice, waiting while
// the transport is full; when its context ends during the wait, frame
// returns, the rest of the frame is written by a flusher once the peer
// reads, and the frames after it follow, intact and in order (the write
// deadline that stopped the wait does not stop later writes).
func TestWriterWaitsForTheTransportUntilItsContextEnds(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	var wg sync.WaitGroup
	w := newWriter(pw, &goroutines{sys: &wg}, DefaultLimits().MaxWriteQueue, nil)
	if w.wait == nil {
		t.Fatal("no waiting writes on a non-blocking pipe")
	}
	big := bytes.Repeat([]byte{9}, 4<<20) // a pipe holds 64 KiB to 1 MiB
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.frame(ctx, wire.KindCall, wire.TermComplete, 1, 1, big) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if writing, _ := w.progress(); writing && w.bytesOut() > 0 {
			break // waiting for the pipe, which nobody reads yet
		}
		if time.Now().After(deadline) {
			t.Fatal("the frame's write never started")
		}
		runtime.Gosched()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("frame = %v, want nil (the frame is queued)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("frame waited past its context")
	}
	clear(big) // frame has returned: the payload is the caller's
	if err := w.frame(context.Background(), wire.KindCall, wire.TermComplete, 1, 2, []byte{7}); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	<-w.drained()
	wg.Wait()
	pw.Close()
	var calls []uint64
	var value []byte // call 1's payload, from its pieces
	if err := wire.NewDecoder(0).Feed(<-got, func(f wire.Frame) error {
		if len(calls) == 0 || calls[len(calls)-1] != f.Call {
			calls = append(calls, f.Call)
		}
		if f.Call == 1 {
			value = append(value, f.Payload...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []uint64{1, 2}) {
		t.Fatalf("calls %v came out, want [1 2]", calls)
	}
	if len(value) != 4<<20 || bytes.Count(value, []byte{9}) != 4<<20 {
		t.Fatalf("the large payload came out damaged: %d bytes", len(value))
	}
}
