package supervision

import (
	"fmt"
	"time"
)

// Restart is a restart policy for what can be made again when it fails: a
// wire whose byte stream can be opened anew (a child process started
// again, an address dialled again; see ipfi.Interface.Supervise). Every
// failure, a first dial that fails included, is followed by a restart
// after a delay that starts at Initial and doubles up to Max; more than
// MaxRestarts within Window gives up. A zero field means its default; a
// negative duration is invalid (Validate).
type Restart struct {
	// Initial is the delay before the first restart. Default 100ms.
	Initial time.Duration
	// Max bounds the delay as it doubles. Default 10s, or Initial if
	// that is longer.
	Max time.Duration
	// MaxRestarts is how many restarts Window may hold; one more gives
	// up. Default 5; negative: no limit.
	MaxRestarts int
	// Window is how far back restarts count. Default 1m.
	Window time.Duration
}

// Validate returns nil if r can be used, else an error matching
// ErrInvalidPolicy that names the field: a negative Initial, Max or
// Window, or an Initial delay longer than the Max given.
func (r Restart) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"Initial", r.Initial}, {"Max", r.Max}, {"Window", r.Window}} {
		if f.d < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrInvalidPolicy, f.name, f.d)
		}
	}
	if r.Max > 0 && r.Initial > r.Max {
		return fmt.Errorf("%w: Initial %v is longer than Max %v", ErrInvalidPolicy, r.Initial, r.Max)
	}
	return nil
}

// withDefaults returns r with each zero field set to its default.
func (r Restart) withDefaults() Restart {
	if r.Initial <= 0 {
		r.Initial = 100 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = max(10*time.Second, r.Initial)
	}
	if r.MaxRestarts == 0 {
		r.MaxRestarts = 5
	}
	if r.Window <= 0 {
		r.Window = time.Minute
	}
	return r
}

// Next decides on a failure at now, given the times of the restarts made
// so far (oldest first): whether to restart, and after what delay. The
// delay doubles with each restart still within Window.
func (r Restart) Next(restarts []time.Time, now time.Time) (delay time.Duration, ok bool) {
	r = r.withDefaults()
	recent := 0
	for _, t := range restarts {
		if now.Sub(t) < r.Window {
			recent++
		}
	}
	if r.MaxRestarts >= 0 && recent >= r.MaxRestarts {
		return 0, false
	}
	delay = r.Initial
	for range recent {
		if delay >= r.Max/2 {
			delay = r.Max
			break
		}
		delay *= 2
	}
	return min(delay, r.Max), true
}
