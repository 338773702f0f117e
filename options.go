package ipfi

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ipfi-go/ipfi/actors"
)

// Option configures an Interface; see New.
type Option func(*config)

// config is what the Options of New set; the zero value of each field means
// its default.
type config struct {
	limits     Limits
	logger     *slog.Logger
	closeGrace time.Duration
}

// validate reports the first option New cannot use.
func (c *config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxFrame", c.limits.MaxFrame},
		{"MaxCallArgs", c.limits.MaxCallArgs},
		{"MaxOpenCalls", c.limits.MaxOpenCalls},
	} {
		if f.v < 0 {
			return fmt.Errorf("%w: Limits.%s is %d, want 0 (the default) or more", ErrInvalidOption, f.name, f.v)
		}
	}
	if c.closeGrace < 0 {
		return fmt.Errorf("%w: close grace is %v, want 0 (the default) or more", ErrInvalidOption, c.closeGrace)
	}
	return nil
}

// actorsConfig is c as the actor system takes it.
func (c *config) actorsConfig() actors.Config {
	return actors.Config{
		Limits:     actors.Limits(c.limits),
		Logger:     c.logger,
		CloseGrace: c.closeGrace,
	}
}

// Limits bound what one peer can make an interface hold. A zero field
// means its default (the value in DefaultLimits); a negative one makes New
// return an error matching ErrInvalidOption.
type Limits struct {
	// MaxFrame is the largest payload, in bytes, one frame from the peer
	// may declare; a larger one ends the wire as malformed
	// (wire.ErrFrameTooLarge) before any memory is spent on it.
	// Default 16 MiB (wire.DefaultMaxPayload). This side writes no frame
	// over 1 MiB: larger arguments and values go in pieces, which the
	// argument limit (MaxCallArgs) bounds instead.
	MaxFrame int
	// MaxCallArgs is the most argument bytes one call from the peer may
	// accumulate across its pieces; a call over it is answered with an
	// error (a *RemoteError matching ErrLimit, for a peer with the
	// extensions) and the wire goes on. Default 16 MiB.
	MaxCallArgs int
	// MaxOpenCalls is the most calls from the peer one wire may have open
	// at once; a call over it is answered at once with an error (as for
	// MaxCallArgs) and the wire goes on. Default 100,000.
	MaxOpenCalls int
}

// DefaultLimits returns the limits an interface enforces unless WithLimits
// says otherwise: every field set to its default.
func DefaultLimits() Limits { return Limits(actors.DefaultLimits()) }

// WithLimits sets the limits enforced on every wire of the interface. A
// zero field keeps its default; a negative one is an invalid option.
// Default: DefaultLimits(). Of several WithLimits, the last counts.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// WithLogger sends the interface's logs (wire and call failures, the actor
// system's own lines) to l. Default (or nil): nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithCloseGrace sets how long closing a wire (or the interface) waits for
// its Termination message to be written before closing the transport
// anyway. Default (or 0): 1s. A negative duration is an invalid option.
func WithCloseGrace(d time.Duration) Option { return func(c *config) { c.closeGrace = d } }

// WireOption configures one wire; see Interface.Connect.
type WireOption func(*wireConfig)

// wireConfig is what the WireOptions of a wire set.
type wireConfig struct {
	calleeOnly bool
	plain      bool
}

// CalleeOnly makes a wire that serves the peer's calls but makes none (its
// Call methods return ErrCalleeOnly) and ignores Response messages: the Rust
// crate's "module style". Default: a wire both calls and serves.
func CalleeOnly() WireOption { return func(c *wireConfig) { c.calleeOnly = true } }

// Plain makes a wire that speaks only the Rust crate's format: it does not
// announce this project's extensions and ignores a peer's announcement, so
// failures are reported as empty responses, cancel does not reach the
// peer, and streams are not flow-controlled. Default: a wire announces the
// extensions and uses them with a peer that announces them too (a Rust
// peer skips the one-byte announcement).
func Plain() WireOption { return func(c *wireConfig) { c.plain = true } }

// StreamOption configures one stream; see Wire.Open.
type StreamOption func(*streamConfig)

// streamConfig is what the StreamOptions of a stream set.
type streamConfig struct {
	window int
}

// validate reports the first option Open cannot use.
func (c *streamConfig) validate() error {
	if c.window < 0 {
		return fmt.Errorf("%w: stream window is %d bytes, want 0 (the default) or more", ErrInvalidOption, c.window)
	}
	return nil
}

// StreamWindow fixes how many bytes of the response the callee may send
// ahead of the reader (flow control with a peer that speaks the
// extensions). Default (or 0): an adaptive window that starts at 64 KiB
// and grows up to DefaultMaxStreamWindow (see Stream). Values from 1 to
// 64 KiB, the window both sides assume, mean 64 KiB; a negative value
// makes Open return an error matching ErrInvalidOption.
func StreamWindow(bytes int) StreamOption { return func(c *streamConfig) { c.window = bytes } }
