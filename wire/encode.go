package wire

import "encoding/binary"

// AppendFrame appends f's encoding to dst and returns the extended slice.
//
// A kind with a header (Call, Response, and the extension kinds other than
// KindAnnounce) is written as AppendHeader followed by the payload, each
// integer in the smallest width that holds it, exactly as the Rust crate
// writes it. Any other kind, known or not, is written as its type byte
// alone and the other fields are ignored. AppendFrame does
// not check the frame's meaning: it will write a Call with TermNone and an
// empty payload, which a Decoder rejects. It panics on an invalid
// Terminator.
func AppendFrame(dst []byte, f Frame) []byte {
	if !f.Kind.encodesHeader() {
		return append(dst, byte(f.Kind))
	}
	dst = AppendHeader(dst, f.Kind, f.Terminator, f.Procedure, f.Call, len(f.Payload))
	return append(dst, f.Payload...)
}

// AppendHeader appends only the type byte k, the multiflag and the
// integers of a message whose payload is n bytes long; the caller appends
// the n payload bytes itself. k is written as given and should be KindCall,
// KindResponse or an extension kind other than KindAnnounce (writers use
// TermComplete for extension messages). AppendHeader panics if t is not a valid Terminator or n
// is negative.
func AppendHeader(dst []byte, k Kind, t Terminator, procedure, call uint64, n int) []byte {
	if n < 0 {
		panic("wire: AppendHeader with a negative payload length")
	}
	length := uint64(n)
	pw, cw, lw := widthOf(procedure), widthOf(call), widthOf(length)
	mf := termBits(t) | pw<<shiftProcedure | cw<<shiftCall | lw<<shiftLength
	if pw|cw|lw == widthU8 {
		// The commonest header (a small value of a low-numbered call):
		// one append.
		return append(dst, byte(k), mf, byte(procedure), byte(call), byte(length))
	}
	dst = append(dst, byte(k), mf)
	dst = appendUint(dst, pw, procedure)
	dst = appendUint(dst, cw, call)
	return appendUint(dst, lw, length)
}

// EncodedLen returns len(AppendFrame(nil, f)) without encoding anything.
func EncodedLen(f Frame) int {
	if !f.Kind.encodesHeader() {
		return 1
	}
	return 2 + widthBytes[widthOf(f.Procedure)] + widthBytes[widthOf(f.Call)] +
		widthBytes[widthOf(uint64(len(f.Payload)))] + len(f.Payload)
}

// termBits returns the multiflag bits 6-7 of t. It is a table lookup with
// the panic in a function of its own, small enough to be inlined into
// AppendHeader.
func termBits(t Terminator) byte {
	if t > TermComplete {
		badTerminator(t)
	}
	return termBitsOf[t]
}

func badTerminator(t Terminator) { panic("wire: invalid terminator " + t.String()) }

var termBitsOf = [...]byte{TermNone: termBitsNone, TermChunk: termBitsChunk, TermComplete: termBitsComplete}

// widthOf returns the 2-bit width field of the smallest integer holding v.
func widthOf(v uint64) byte {
	switch {
	case v <= 0xff:
		return widthU8
	case v <= 0xffff:
		return widthU16
	case v <= 0xffff_ffff:
		return widthU32
	}
	return widthU64
}

// appendUint appends v little-endian in the width w.
func appendUint(dst []byte, w byte, v uint64) []byte {
	switch w {
	case widthU8:
		return append(dst, byte(v))
	case widthU16:
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case widthU32:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(dst, v)
}

// readUint reads a little-endian integer of width w from the start of b,
// which holds at least widthBytes[w] bytes.
func readUint(b []byte, w byte) uint64 {
	switch w {
	case widthU8:
		return uint64(b[0])
	case widthU16:
		return uint64(binary.LittleEndian.Uint16(b))
	case widthU32:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}
