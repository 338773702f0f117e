//go:build unix

package actors

import (
	"os"
	"syscall"
	"testing"
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
	try := tryWriter(w)
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
	if tryWriter(w2) != nil {
		t.Fatal("non-blocking writes on a blocking pipe")
	}
}
