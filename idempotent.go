package ipfi

import "context"

// idempotentKey is the context key of WithIdempotent's mark.
type idempotentKey struct{}

// WithIdempotent returns a context that marks the calls made with it as
// idempotent: safe to run more than once, so that a Caller over many
// servers (package cluster's Client) may retry one on another server after
// a failure that leaves unknown whether it ran. A descriptor whose
// Idempotent field is set marks its calls so. A Wire ignores the mark: it
// never retries a call.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// IsIdempotent reports whether ctx marks its calls idempotent
// (WithIdempotent).
func IsIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// idempotentIf returns ctx marked idempotent if idempotent is set, ctx
// itself otherwise.
func idempotentIf(ctx context.Context, idempotent bool) context.Context {
	if idempotent {
		return WithIdempotent(ctx)
	}
	return ctx
}
