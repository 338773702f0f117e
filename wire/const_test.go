package wire

import "testing"

// TestConstants pins every constant's value: they are wire format.
func TestConstants(t *testing.T) {
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"KindTermination", uint64(KindTermination), 0},
		{"KindCall", uint64(KindCall), 1},
		{"KindResponse", uint64(KindResponse), 2},
		{"KindEndOfInput", uint64(KindEndOfInput), 3},
		{"KindAnnounce", uint64(KindAnnounce), 0xf0},
		{"KindError", uint64(KindError), 0xf1},
		{"KindCancel", uint64(KindCancel), 0xf2},
		{"KindResponseCredit", uint64(KindResponseCredit), 0xf3},
		{"KindArgumentCredit", uint64(KindArgumentCredit), 0xf4},
		{"KindPing", uint64(KindPing), 0xf5},
		{"KindPong", uint64(KindPong), 0xf6},
		{"CodeUnknownProcedure", uint64(CodeUnknownProcedure), 1},
		{"CodeBadArguments", uint64(CodeBadArguments), 2},
		{"CodeProcedure", uint64(CodeProcedure), 3},
		{"CodePanic", uint64(CodePanic), 4},
		{"CodeLimit", uint64(CodeLimit), 5},
		{"CodeCancelled", uint64(CodeCancelled), 6},
		{"CodeDeadline", uint64(CodeDeadline), 7},
		{"MaxErrorMessage", MaxErrorMessage, 1024},
		{"InitialCredit", InitialCredit, 64 << 10},
		{"TermNone", uint64(TermNone), 0},
		{"TermChunk", uint64(TermChunk), 1},
		{"TermComplete", uint64(TermComplete), 2},
		{"termBits(TermNone)", uint64(termBits(TermNone)), 0x00},
		{"termBits(TermChunk)", uint64(termBits(TermChunk)), 0x40},
		{"termBits(TermComplete)", uint64(termBits(TermComplete)), 0xc0},
		{"termBitsInvalid", termBitsInvalid, 0x80},
		{"termMask", termMask, 0xc0},
		{"widthU8", widthU8, 0},
		{"widthU32", widthU32, 1},
		{"widthU16", widthU16, 2},
		{"widthU64", widthU64, 3},
		{"widthBytes[u8]", uint64(widthBytes[widthU8]), 1},
		{"widthBytes[u32]", uint64(widthBytes[widthU32]), 4},
		{"widthBytes[u16]", uint64(widthBytes[widthU16]), 2},
		{"widthBytes[u64]", uint64(widthBytes[widthU64]), 8},
		{"shiftProcedure", shiftProcedure, 0},
		{"shiftCall", shiftCall, 2},
		{"shiftLength", shiftLength, 4},
		{"MaxHeaderLen", MaxHeaderLen, 26},
		{"DefaultMaxPayload", DefaultMaxPayload, 16 << 20},
		{"keepBufferCap", keepBufferCap, 64 << 10},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
	if MaxHeaderLen != 1+1+8+8+8 {
		t.Errorf("MaxHeaderLen = %d", MaxHeaderLen)
	}
	if n, err := headerLen(0xff); err != nil || n != MaxHeaderLen {
		t.Errorf("widest header is %d bytes (%v), MaxHeaderLen %d", n, err, MaxHeaderLen)
	}
}

// TestStrings pins the String methods.
func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{KindTermination.String(), "termination"},
		{KindCall.String(), "call"},
		{KindResponse.String(), "response"},
		{KindEndOfInput.String(), "end-of-input"},
		{KindAnnounce.String(), "announce"},
		{KindError.String(), "error"},
		{KindCancel.String(), "cancel"},
		{KindResponseCredit.String(), "response-credit"},
		{KindArgumentCredit.String(), "argument-credit"},
		{KindPing.String(), "ping"},
		{KindPong.String(), "pong"},
		{Kind(0xef).String(), "unknown(0xef)"},
		{KindDeadline.String(), "deadline"},
		{KindGoAway.String(), "go-away"},
		{KindAnnounce2.String(), "announce-2"},
		{KindMetadata.String(), "metadata"},
		{Kind(0xfb).String(), "unknown(0xfb)"},
		{Kind(4).String(), "unknown(0x04)"},
		{Kind(0xfe).String(), "unknown(0xfe)"},
		{TermNone.String(), "none"},
		{TermChunk.String(), "chunk"},
		{TermComplete.String(), "complete"},
		{Terminator(7).String(), "unknown(7)"},
		{CodeUnknownProcedure.String(), "unknown procedure"},
		{CodeBadArguments.String(), "bad arguments"},
		{CodeProcedure.String(), "procedure error"},
		{CodePanic.String(), "panic"},
		{CodeLimit.String(), "limit exceeded"},
		{CodeCancelled.String(), "cancelled"},
		{CodeDeadline.String(), "deadline exceeded"},
		{ErrorCode(0).String(), "code(0)"},
		{CodeApplication.String(), "application error"},
		{CodeShutdown.String(), "shutting down"},
		{ErrorCode(10).String(), "code(10)"},
		{ErrorCode(300).String(), "code(300)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestHasHeader pins which kinds carry a header: HasHeader the base
// format's, IsExtension the extension kinds, a decoder the extension kinds
// but KindAnnounce once extensions are on.
func TestHasHeader(t *testing.T) {
	on, off, v2 := NewDecoder(0), NewDecoder(0), NewDecoder(0)
	on.SetExtensions(true)
	v2.SetExtensionVersion(2)
	for k := 0; k < 256; k++ {
		want := k == 1 || k == 2
		if got := Kind(k).HasHeader(); got != want {
			t.Errorf("Kind(%d).HasHeader() = %v", k, got)
		}
		if got := off.hasHeader(Kind(k)); got != want {
			t.Errorf("extensions off: hasHeader(%d) = %v", k, got)
		}
		ext := k >= 0xf0 && k <= 0xfa
		if got := Kind(k).IsExtension(); got != ext {
			t.Errorf("Kind(%d).IsExtension() = %v", k, got)
		}
		wantOn := want || k >= 0xf1 && k <= 0xf6
		if got := on.hasHeader(Kind(k)); got != wantOn {
			t.Errorf("extensions on: hasHeader(%d) = %v", k, got)
		}
		want2 := wantOn || k == 0xf7 || k == 0xf8 || k == 0xfa
		if got := v2.hasHeader(Kind(k)); got != want2 {
			t.Errorf("extensions version 2: hasHeader(%d) = %v", k, got)
		}
		if got := Kind(k).encodesHeader(); got != want2 {
			t.Errorf("Kind(%d).encodesHeader() = %v", k, got)
		}
	}
}
