package core

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

type coded struct{ code wire.ErrorCode }

func (c coded) Error() string            { return "coded" }
func (c coded) WireCode() wire.ErrorCode { return c.code }

// TestCodeOf: a procedure's error is answered with the code of the first
// Coded error in its chain, else of the sentinels it wraps, else
// CodeProcedure; and FailureOf keeps its text.
func TestCodeOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want wire.ErrorCode
	}{
		{errors.New("boom"), wire.CodeProcedure},
		{fmt.Errorf("x: %w", procedures.ErrUnknown), wire.CodeUnknownProcedure},
		{fmt.Errorf("x: %w", procedures.ErrBadArguments), wire.CodeBadArguments},
		{context.Canceled, wire.CodeCancelled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), wire.CodeDeadline},
		{coded{wire.CodeLimit}, wire.CodeLimit},
		// The outer Coded error decides: a nested call's failure is the
		// procedure's, whatever it wraps.
		{fmt.Errorf("x: %w", coded{wire.CodeProcedure}), wire.CodeProcedure},
		{fmt.Errorf("%w: %w", coded{wire.CodeShutdown}, procedures.ErrBadArguments), wire.CodeShutdown},
	} {
		if got := CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if f := FailureOf(errors.New("boom")); f.Code != wire.CodeProcedure || f.Message != "boom" {
		t.Errorf("FailureOf: %+v", f)
	}
	if FailureOf(nil) != nil {
		t.Error("FailureOf(nil) is not nil")
	}
}
