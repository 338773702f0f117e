package vectors

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAllParses(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Fatalf("parsed %d vectors, want at least 40", len(all))
	}
	seen := map[string]bool{}
	for _, v := range all {
		if seen[v.Name] {
			t.Errorf("duplicate vector %s", v.Name)
		}
		seen[v.Name] = true
		if len(v.Bytes) == 0 {
			t.Errorf("%s: empty", v.Name)
		}
	}
	if got := Get("resp_p0"); string(got) != "\x02\xc0\x00\x00\x01\x2a" {
		t.Errorf("resp_p0 = %x", got)
	}
	if !map[string]bool{"call_p2_300bytes_hdr": true}[firstHeaderOnly(all)] {
		t.Errorf("first header-only vector = %q", firstHeaderOnly(all))
	}
}

func firstHeaderOnly(all []Vector) string {
	for _, v := range all {
		if v.HeaderOnly {
			return v.Name
		}
	}
	return ""
}
