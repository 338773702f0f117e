package wire_test

import (
	"fmt"

	"github.com/ipfi-go/ipfi/wire"
)

// A caller encodes a call, a callee decodes it from pieces of any size.
func Example() {
	// Procedure 1 with the MessagePack arguments "John", "Doe".
	args := []byte("\xa4John\xa3Doe")
	b := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 1, Payload: args})
	b = wire.AppendFrame(b, wire.Frame{Kind: wire.KindEndOfInput})
	fmt.Printf("% x\n", b)

	d := wire.NewDecoder(0)
	for _, piece := range [][]byte{b[:3], b[3:]} {
		err := d.Feed(piece, func(f wire.Frame) error {
			fmt.Printf("%s %s procedure=%d call=%d payload=%q\n", f.Kind, f.Terminator, f.Procedure, f.Call, f.Payload)
			return nil
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// 01 c0 01 00 09 a4 4a 6f 68 6e a3 44 6f 65 03
	// call complete procedure=1 call=0 payload="\xa4John\xa3Doe"
	// end-of-input none procedure=0 call=0 payload=""
}
