package tests

//lint:file-ignore U1000 msgpack reads the _msgpack fields' tags

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// Two versions of a struct that evolves: the server knows the first, the
// client sends the second (a field added, the fields reordered).
type profileV1 struct {
	_msgpack struct{} `msgpack:",as_map"`
	Name     string
	Email    string
}

type profileV2 struct {
	_msgpack struct{} `msgpack:",as_map"`
	Email    string
	Name     string
	Age      int
}

// The same without the mark: arrays, which cannot evolve.
type plainV1 struct{ Name, Email string }
type plainV2 struct {
	Email, Name string
	Age         int
}

// TestStructsThatEvolve: between two ipfi-go peers, a struct marked as_map
// crosses as a map, so a newer client's value (a field more, another
// order) is served by an older procedure and its answer read back; an
// unmarked struct is an array, and the same change fails the call with
// ErrBadArguments.
func TestStructsThatEvolve(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	client, server := newInterface(t), newInterface(t)
	must(t, server.Register(1, procedures.Func1(func(_ context.Context, p profileV1) (profileV1, error) {
		p.Name = "Dr. " + p.Name
		return p, nil
	})))
	must(t, server.Register(2, procedures.Func1(func(_ context.Context, p plainV1) (plainV1, error) { return p, nil })))
	w, _ := connect(t, tcp, client, server)
	got, err := ipfi.Call[profileV2](ctx, w, 1, profileV2{Email: "ada@example.com", Name: "Ada", Age: 36})
	if err != nil || got.Name != "Dr. Ada" || got.Email != "ada@example.com" || got.Age != 0 {
		t.Fatalf("an as_map struct one version ahead: %+v, %v", got, err)
	}
	_, err = ipfi.Call[plainV2](ctx, w, 2, plainV2{Email: "ada@example.com", Name: "Ada", Age: 36})
	if !errors.Is(err, procedures.ErrBadArguments) {
		t.Fatalf("an array struct one version ahead: %v, want ErrBadArguments", err)
	}
}
