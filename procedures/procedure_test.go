package procedures_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
)

// The unary procedures of the vector file's callee 'alice' (procedure 3, a
// sequence, answers in several messages: it is checked end to end, over a
// wire, not here).
var (
	p0Answer = procedures.Func0(func(context.Context) (uint32, error) { return 42, nil })
	p1Hello  = procedures.Func2(func(_ context.Context, a, b string) (string, error) {
		return fmt.Sprintf("Hello, %s %s!", a, b), nil
	})
	p2Echo = procedures.Func1(func(_ context.Context, b codec.ByteArray) (codec.ByteArray, error) { return b, nil })
	p4Sum  = procedures.Func2(func(_ context.Context, a, b int64) (int64, error) { return a + b, nil })
)

// payload returns the payload of a small call or response vector: the bytes
// after its 5-byte header (type, multiflag, u8 procedure, u8 call, u8 length).
func payload(tb testing.TB, name string) []byte {
	tb.Helper()
	b := vectors.Get(name)
	if len(b) < 5 || b[1]&0x3f != 0 || int(b[4]) != len(b)-5 {
		tb.Fatalf("%s is not a small single message: %x", name, b)
	}
	return b[5:]
}

func TestVectors(t *testing.T) {
	tests := []struct {
		name string
		proc procedures.Procedure
		call string
		resp string
	}{
		{"p0_noargs", p0Answer, "call_p0_noargs", "resp_p0"},
		{"p0_second", p0Answer, "call_p0_second", "resp_p0_second"},
		{"p1_john_doe", p1Hello, "call_p1_john_doe", "resp_p1"},
		{"p2_echo", p2Echo, "call_p2_echo_1_2_200", "resp_p2_echo"},
		{"p4_1_2", p4Sum, "call_p4_1_2", "resp_p4_3"},
		{"p4_neg300_5e9", p4Sum, "call_p4_neg300_5e9", "resp_p4_4999999700"},
		{"p4_neg7_2", p4Sum, "call_p4_neg7_2", "resp_p4_neg5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.proc.Invoke(context.Background(), payload(t, tt.call))
			if err != nil {
				t.Fatal(err)
			}
			if want := payload(t, tt.resp); !bytes.Equal(got, want) {
				t.Fatalf("Invoke = %x, want %x", got, want)
			}
		})
	}
}

// TestPartialArgs invokes procedure 1 on the concatenated payloads of the
// three Call messages of call_p1_partial_stream, as a callee does with a
// call whose arguments arrive in pieces.
func TestPartialArgs(t *testing.T) {
	var args []byte
	for _, m := range []string{"call_p1_partial_msg0", "call_p1_partial_msg1", "call_p1_partial_msg2"} {
		args = append(args, payload(t, m)...)
	}
	got, err := p1Hello.Invoke(context.Background(), args)
	if err != nil {
		t.Fatal(err)
	}
	if want := payload(t, "resp_p1_partial"); !bytes.Equal(got, want) {
		t.Fatalf("Invoke = %x, want %x", got, want)
	}
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		proc procedures.Procedure
		args string
	}{
		{"too_few", p1Hello, "a44a6f686e"},
		{"none", p1Hello, ""},
		{"trailing", p4Sum, "010203"},
		{"wrong_type", p4Sum, "a1610102"},
		{"overflow", procedures.Func1(func(_ context.Context, v uint8) (uint8, error) { return v, nil }), "cd012c"},
		{"bytearray_element", p2Echo, "91cd0100"},
		{"truncated", p1Hello, "a44a6f686ea3446f"},
		{"struct_arity", procedures.Func1(func(_ context.Context, v struct{ A, B int }) (int, error) { return v.A, nil }), "9101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.proc.Invoke(context.Background(), mustHex(t, tt.args))
			if !errors.Is(err, procedures.ErrBadArguments) || !errors.Is(err, codec.ErrArgs) {
				t.Fatalf("Invoke = %x, %v; want ErrBadArguments and codec.ErrArgs", got, err)
			}
		})
	}
}

func TestFuncErrorUnchanged(t *testing.T) {
	boom := errors.New("boom")
	type myErr struct{ error }
	typed := &myErr{boom}
	tests := []struct {
		name string
		err  error
		proc procedures.Procedure
	}{
		{"func0", boom, procedures.Func0(func(context.Context) (int, error) { return 1, boom })},
		{"func2", boom, procedures.Func2(func(context.Context, int, int) (string, error) { return "", boom })},
		{"typed", typed, procedures.Func2(func(context.Context, uint8, int64) (int, error) { return 0, typed })},
		{"raw", boom, procedures.Raw(func(context.Context, []byte) ([]byte, error) { return []byte{1}, boom })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.proc.Invoke(context.Background(), mustHex(t, "0102"))
			if err != tt.err {
				t.Fatalf("Invoke error = %v, want the function's error itself", err)
			}
			if tt.name != "raw" && got != nil {
				t.Fatalf("Invoke payload = %x, want nil", got)
			}
		})
	}
}

func TestRaw(t *testing.T) {
	p := procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) { return args, nil })
	if p.Arity() != -1 {
		t.Fatalf("Arity = %d, want -1", p.Arity())
	}
	for _, in := range []string{"", "01", "c1ffff", "a44a6f686ea3446f65"} {
		t.Run(in, func(t *testing.T) {
			args := mustHex(t, in)
			got, err := p.Invoke(context.Background(), args)
			if err != nil || !bytes.Equal(got, args) {
				t.Fatalf("Invoke = %x, %v; want %x", got, err, args)
			}
		})
	}
}

func TestFunc0IgnoresPayload(t *testing.T) {
	for _, in := range []string{"", "01", "c1", "a44a6f686e"} {
		t.Run(in, func(t *testing.T) {
			got, err := p0Answer.Invoke(context.Background(), mustHex(t, in))
			if err != nil || !bytes.Equal(got, []byte{0x2a}) {
				t.Fatalf("Invoke = %x, %v; want 2a", got, err)
			}
		})
	}
}

func TestArities(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		proc  procedures.Procedure
		arity int
		args  []any
		want  any
	}{
		{"func0", procedures.Func0(func(context.Context) (string, error) { return "x", nil }), 0, nil, "x"},
		{"func1", procedures.Func1(func(_ context.Context, a int8) (int8, error) { return -a, nil }), 1, []any{int8(5)}, int8(-5)},
		{"func2", p4Sum, 2, []any{int64(1), int64(2)}, int64(3)},
		{"func3", procedures.Func3(func(_ context.Context, a string, b uint16, c bool) (string, error) {
			return fmt.Sprint(a, b, c), nil
		}), 3, []any{"a", uint16(300), true}, "a300 true"},
		{"func4", procedures.Func4(func(_ context.Context, a, b, c, d int) (int, error) { return a + b + c + d, nil }),
			4, []any{1, 2, 3, 4}, 10},
		{"func5", procedures.Func5(func(_ context.Context, a, b, c, d, e float64) (float64, error) { return a + b + c + d + e, nil }),
			5, []any{1.0, 2.0, 3.0, 4.0, 0.5}, 10.5},
		{"func6", procedures.Func6(func(_ context.Context, a, b, c, d, e, f uint32) (uint32, error) { return a + b + c + d + e + f, nil }),
			6, []any{uint32(1), uint32(2), uint32(3), uint32(4), uint32(5), uint32(6)}, uint32(21)},
		{"struct_result", procedures.Func1(func(_ context.Context, p struct {
			A uint8
			B string
		}) (struct {
			B string
			A uint8
		}, error) {
			return struct {
				B string
				A uint8
			}{p.B, p.A}, nil
		}), 1, []any{struct {
			A uint8
			B string
		}{1, "x"}}, struct {
			B string
			A uint8
		}{"x", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.proc.Arity(); got != tt.arity {
				t.Fatalf("Arity = %d, want %d", got, tt.arity)
			}
			args, err := codec.AppendArgs(nil, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.proc.Invoke(ctx, args)
			if err != nil {
				t.Fatal(err)
			}
			want, err := codec.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Invoke = %x, want %x", got, want)
			}
			if tt.arity > 0 {
				if _, err := tt.proc.Invoke(ctx, args[:len(args)-1]); !errors.Is(err, procedures.ErrBadArguments) {
					t.Fatalf("Invoke on a short payload: %v, want ErrBadArguments", err)
				}
			}
		})
	}
}

func TestUnitResult(t *testing.T) {
	tests := []struct {
		name string
		proc procedures.Procedure
	}{
		{"struct{}", procedures.Func1(func(context.Context, int) (struct{}, error) { return struct{}{}, nil })},
		{"nil_any", procedures.Func1(func(context.Context, int) (any, error) { return nil, nil })},
		{"nil_pointer", procedures.Func1(func(context.Context, int) (*int, error) { return nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.proc.Invoke(context.Background(), []byte{1})
			if err != nil || !bytes.Equal(got, vectors.Get("msgpack_unit")) {
				t.Fatalf("Invoke = %x, %v; want c0", got, err)
			}
		})
	}
}

func TestBadResult(t *testing.T) {
	p := procedures.Func0(func(context.Context) (chan int, error) { return make(chan int), nil })
	if _, err := p.Invoke(context.Background(), nil); !errors.Is(err, procedures.ErrBadResult) {
		t.Fatalf("Invoke = %v, want ErrBadResult", err)
	}
}

func TestContextPassed(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	p := procedures.Func1(func(ctx context.Context, s string) (string, error) { return s + ctx.Value(key{}).(string), nil })
	got, err := p.Invoke(ctx, []byte{0xa1, 'a'})
	if err != nil || !bytes.Equal(got, []byte{0xa2, 'a', 'v'}) {
		t.Fatalf("Invoke = %x, %v", got, err)
	}
}

func TestZeroProcedure(t *testing.T) {
	tests := []struct {
		name string
		proc procedures.Procedure
	}{
		{"zero", procedures.Procedure{}},
		{"raw_nil", procedures.Raw(nil)},
		{"func0_nil", procedures.Func0[int](nil)},
		{"func1_nil", procedures.Func1[int, int](nil)},
		{"func6_nil", procedures.Func6[int, int, int, int, int, int, int](nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.proc.Invoke(context.Background(), nil); !errors.Is(err, procedures.ErrInvalid) {
				t.Fatalf("Invoke = %v, want ErrInvalid", err)
			}
			if got := tt.proc.Arity(); got != -1 {
				t.Fatalf("Arity = %d, want -1", got)
			}
			if err := procedures.NewRegistry().Register(1, tt.proc); !errors.Is(err, procedures.ErrInvalid) {
				t.Fatalf("Register = %v, want ErrInvalid", err)
			}
		})
	}
}
