package transporttest

import (
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi"
)

// newInterface returns an interface made with opts, closed as t ends.
func newInterface(t *testing.T, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i, err := ipfi.New(opts...)
	mustOK(t, err)
	t.Cleanup(func() { i.Close() })
	return i
}

// mustOK ends the test at a non-nil err.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expect returns a check that a call returned want without error.
func expect[T comparable](got T, err error) func(want T) error {
	return func(want T) error {
		if err != nil || got != want {
			return fmt.Errorf("got %v, %v; want %v", got, err, want)
		}
		return nil
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
