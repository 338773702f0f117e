package cluster

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
)

// nodeLog is the writer under the *log.Logger a node gives memberlist: it
// turns each of memberlist's lines into a record of the node's
// slog.Logger, at the level its prefix names. A log.Logger writes each
// line with one Write, so nodeLog keeps no state between Writes.
type nodeLog struct {
	logger *slog.Logger // nil: the lines are discarded
	node   string       // the node's name, the records' "node" attribute
	muted  atomic.Bool  // set as the node shuts memberlist down
}

// logPrefixes are memberlist's level prefixes, and their levels.
var logPrefixes = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelError},
	{"[ERROR]", slog.LevelError},
}

// Write logs line p; a line without a known prefix is logged at Info.
// It never fails.
func (l *nodeLog) Write(p []byte) (int, error) {
	if l.logger == nil || l.muted.Load() {
		return len(p), nil
	}
	level, msg := logLevel(strings.TrimSpace(string(p)))
	ctx := context.Background()
	if l.logger.Enabled(ctx, level) {
		l.logger.Log(ctx, level, msg, "node", l.node)
	}
	return len(p), nil
}

// mute discards the lines from now on: what memberlist's goroutines log
// as they stop, errors about closed connections, is noise, and nothing is
// logged once Shutdown has returned.
func (l *nodeLog) mute() { l.muted.Store(true) }

// logLevel returns the level of a line of memberlist's, and the line
// without its level prefix.
func logLevel(line string) (slog.Level, string) {
	for _, p := range logPrefixes {
		if rest, ok := strings.CutPrefix(line, p.prefix); ok {
			return p.level, strings.TrimSpace(rest)
		}
	}
	return slog.LevelInfo, line
}
