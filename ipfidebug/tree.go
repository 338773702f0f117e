package ipfidebug

import (
	"fmt"
	"strings"
	"time"
)

// String draws the snapshot as the interface's tree, byte counts as human
// sizes in binary units (under 1 KiB in bytes, above it with one decimal)
// and ages to the millisecond:
//
//	interface: 1 wire
//	└─ wire 1 (alice) 127.0.0.1:50123  age 2.1s  in 1.0 GiB  out 12.3 KiB
//	   ├─ serving procedure 3 call 0  running  stream (credit 64.0 KiB)  age 1.5s
//	   └─ calling procedure 9 call 4  waiting  age 30ms
//
// The exact counts are in the fields, and in the JSON.
func (s Snapshot) String() string {
	var b strings.Builder
	plural := "s"
	if len(s.Wires) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "interface: %d wire%s\n", len(s.Wires), plural)
	for k, w := range s.Wires {
		branch, stem := "├─ ", "│  "
		if k == len(s.Wires)-1 {
			branch, stem = "└─ ", "   "
		}
		w.draw(&b, branch, stem)
	}
	return b.String()
}

// draw writes the wire's line, after branch, and its calls' lines, each
// after stem.
func (w WireSnapshot) draw(b *strings.Builder, branch, stem string) {
	fmt.Fprintf(b, "%swire %d", branch, w.ID)
	if w.Label != "" {
		fmt.Fprintf(b, " (%s)", w.Label)
	}
	if w.Peer != "" {
		fmt.Fprintf(b, " %s", w.Peer)
	}
	if w.Ending {
		b.WriteString("  ending\n")
		return
	}
	fmt.Fprintf(b, "  age %v  in %s  out %s\n", w.Age.Round(time.Millisecond), formatSize(w.BytesIn), formatSize(w.BytesOut))
	n := len(w.Serving) + len(w.Calling)
	for j, c := range w.Serving {
		c.draw(b, stem, "serving", j == n-1)
	}
	for j, c := range w.Calling {
		c.draw(b, stem, "calling", len(w.Serving)+j == n-1)
	}
}

// draw writes the call's line after stem: what it is (serving or
// calling), and whether it is the wire's last.
func (c CallSnapshot) draw(b *strings.Builder, stem, what string, last bool) {
	cb := "├─ "
	if last {
		cb = "└─ "
	}
	fmt.Fprintf(b, "%s%s%s procedure %d call %d  %s", stem, cb, what, c.Procedure, c.Call, c.State)
	if c.Stream {
		b.WriteString("  stream")
		if c.Credit > 0 {
			fmt.Fprintf(b, " (credit %s)", formatSize(c.Credit))
		}
		if c.Window > 0 {
			fmt.Fprintf(b, " (window %s)", formatSize(c.Window))
		}
	}
	if c.Age > 0 {
		fmt.Fprintf(b, "  age %v", c.Age.Round(time.Millisecond))
	}
	b.WriteString("\n")
}
