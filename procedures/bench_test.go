package procedures_test

import (
	"context"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
)

func BenchmarkInvokeFunc2(b *testing.B) {
	benchmarks := []struct {
		name string
		proc procedures.Procedure
		args []any
	}{
		{"int64_sum", p4Sum, []any{int64(-300), int64(5000000000)}},
		{"int64_sum_small", p4Sum, []any{int64(1), int64(2)}},
		{"hello", p1Hello, []any{"John", "Doe"}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			args, err := codec.AppendArgs(nil, bm.args...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(args)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := bm.proc.Invoke(ctx, args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	r := procedures.NewRegistry()
	for _, i := range []procedures.Index{0, 1, 2, 4, 300} {
		if err := r.Register(i, p4Sum); err != nil {
			b.Fatal(err)
		}
	}
	for _, bm := range []struct {
		name string
		i    procedures.Index
	}{{"small", 4}, {"large", 300}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, ok := r.Lookup(bm.i); !ok {
						b.Fatal("not found")
					}
				}
			})
		})
	}
}
