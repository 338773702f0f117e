// Command handguest is a WebAssembly module (GOOS=wasip1 GOARCH=wasm) that
// speaks the plain IPFI protocol by hand, without the library and on one
// goroutine: it reads Call messages from stdin and answers each with one
// Response message on stdout (sections 1-3 of the wire format). It is the
// yardstick the host measures the library's guest against.
//
// It serves procedure 1, add two integers (MessagePack in and out), and
// answers any other procedure with an empty response, as a peer without
// the extensions reports a failure. It skips the bytes of message types it
// does not know (the library's announcements), ignores Response messages,
// and exits 0 on a Termination message, on End of input (after answering
// what it has read, and sending a Termination of its own) and at the end of
// its input.
//
// Its reads block; on one goroutine that costs nothing.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Message types (PROTOCOL.md, section 1).
const (
	msgTermination = 0
	msgCall        = 1
	msgResponse    = 2
	msgEndOfInput  = 3
)

// Terminators, as the multiflag's top two bits.
const (
	termNone     = 0
	termChunk    = 1
	termComplete = 3
)

// maxArgs bounds what one call's arguments may accumulate.
const maxArgs = 1 << 20

const procAdd = 1

func main() {
	if err := serve(bufio.NewReaderSize(os.Stdin, 64<<10), bufio.NewWriterSize(os.Stdout, 64<<10)); err != nil {
		fmt.Fprintln(os.Stderr, "handguest:", err)
		os.Exit(1)
	}
}

// serve answers the calls read from in on out until the host ends the
// conversation. out is flushed whenever in has nothing more buffered, so
// the answers to the calls of one read go out in one write.
func serve(in *bufio.Reader, out *bufio.Writer) error {
	defer out.Flush()
	args := make(map[[2]uint64][]byte) // arguments of calls still arriving, by (procedure, call)
	for {
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		kind, err := in.ReadByte()
		if err == io.EOF {
			return nil // the host went away
		} else if err != nil {
			return err
		}
		switch kind {
		case msgTermination:
			return nil
		case msgEndOfInput:
			return out.WriteByte(msgTermination)
		case msgCall, msgResponse:
			proc, call, term, payload, err := readFrame(in)
			if err != nil {
				return err
			}
			if kind == msgResponse {
				continue // this guest makes no calls
			}
			key := [2]uint64{proc, call}
			a := append(args[key], payload...)
			if len(a) > maxArgs {
				return fmt.Errorf("call %d of procedure %d: arguments over %d bytes", call, proc, maxArgs)
			}
			if term != termComplete {
				args[key] = a
				continue
			}
			delete(args, key)
			writeFrame(out, msgResponse, proc, call, termComplete, answer(proc, a))
		default:
			// An unknown type byte is skipped alone (the library's
			// announcement of its extensions).
		}
	}
}

// answer runs procedure proc on its arguments and returns the response
// payload: empty when it fails.
func answer(proc uint64, args []byte) []byte {
	if proc != procAdd {
		return nil
	}
	a, rest, ok := readInt(args)
	if !ok {
		return nil
	}
	b, rest, ok := readInt(rest)
	if !ok || len(rest) != 0 {
		return nil
	}
	return appendInt(nil, a+b)
}

// readFrame reads a Call or Response message after its type byte: the
// multiflag, the three integers it gives the widths of, and the payload.
func readFrame(in *bufio.Reader) (proc, call uint64, term byte, payload []byte, err error) {
	flag, err := in.ReadByte()
	if err != nil {
		return 0, 0, 0, nil, noEOF(err)
	}
	term = flag >> 6
	if term != termNone && term != termChunk && term != termComplete {
		return 0, 0, 0, nil, fmt.Errorf("malformed multiflag %#02x", flag)
	}
	var n uint64
	for i, v := range []*uint64{&proc, &call, &n} {
		if *v, err = readUint(in, flag>>(2*i)&3); err != nil {
			return 0, 0, 0, nil, noEOF(err)
		}
	}
	if n > maxArgs {
		return 0, 0, 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(in, payload); err != nil {
		return 0, 0, 0, nil, noEOF(err)
	}
	return proc, call, term, payload, nil
}

// widths gives a multiflag field's width in bytes: 0 = u8, 2 = u16,
// 1 = u32, 3 = u64.
var widths = [4]int{1, 4, 2, 8}

// readUint reads a little-endian integer of the width field gives.
func readUint(in *bufio.Reader, field byte) (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(in, b[:widths[field]]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// writeFrame writes a message with the smallest widths that hold its
// integers.
func writeFrame(out *bufio.Writer, kind byte, proc, call uint64, term byte, payload []byte) {
	vals := [3]uint64{proc, call, uint64(len(payload))}
	flag := term << 6
	for i, v := range vals {
		flag |= widthField(v) << (2 * i)
	}
	out.WriteByte(kind)
	out.WriteByte(flag)
	var b [8]byte
	for _, v := range vals {
		binary.LittleEndian.PutUint64(b[:], v)
		out.Write(b[:widths[widthField(v)]])
	}
	out.Write(payload)
}

func widthField(v uint64) byte {
	switch {
	case v <= 0xff:
		return 0
	case v <= 0xffff:
		return 2
	case v <= 0xffffffff:
		return 1
	}
	return 3
}

// readInt decodes a MessagePack integer of any form from the front of b.
func readInt(b []byte) (v int64, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	c, b := b[0], b[1:]
	switch {
	case c <= 0x7f: // positive fixint
		return int64(c), b, true
	case c >= 0xe0: // negative fixint
		return int64(int8(c)), b, true
	}
	var size int
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2:
		size = 4
	case 0xcf, 0xd3:
		size = 8
	default:
		return 0, nil, false
	}
	if len(b) < size {
		return 0, nil, false
	}
	var u uint64
	for _, x := range b[:size] {
		u = u<<8 | uint64(x)
	}
	if c >= 0xd0 { // signed: extend the sign
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, b[size:], true
	}
	return int64(u), b[size:], true
}

// appendInt appends v in its smallest MessagePack form.
func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 0x7f:
		return append(b, byte(v))
	case v < 0 && v >= -32:
		return append(b, byte(v))
	case v >= 0 && v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v >= 0 && v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v >= 0 && v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	case v >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(v))
	case v >= -0x80:
		return append(b, 0xd0, byte(v))
	case v >= -0x8000:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(v))
	case v >= -0x80000000:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

// noEOF makes the end of input inside a message an error.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
