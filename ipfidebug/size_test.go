package ipfidebug

import (
	"math"
	"testing"
)

// TestFormatSize: sizes under 1 KiB in bytes, larger ones in the largest
// binary unit that keeps them at 1.0 or more, with one decimal.
func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12595, "12.3 KiB"},
		{1048524, "1023.9 KiB"},
		{1048525, "1.0 MiB"}, // 1023.95 KiB rounds up: not "1024.0 KiB"
		{1 << 20, "1.0 MiB"},
		{1 << 30, "1.0 GiB"},
		{1080845650, "1.0 GiB"},
		{5 << 40, "5.0 TiB"},
		{3 << 50, "3.0 PiB"},
		{math.MaxInt64, "8.0 EiB"},
		{-1, "-1 B"},
	} {
		if got := formatSize(tc.n); got != tc.want {
			t.Errorf("formatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
