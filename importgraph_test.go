package ipfi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph: the root package's import graph holds none of the
// transports', the cluster's and the comparisons' libraries (QUIC,
// WebSocket, memberlist, DNS, gRPC): only a program that imports ipfiquic,
// ipfiws, cluster or the benchmarks links them.
func TestImportGraph(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the import graph with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps . listed %d packages: %q", len(deps), deps)
	}
	for _, d := range deps {
		for _, banned := range []string{"github.com/quic-go/", "github.com/coder/websocket", "google.golang.org/grpc", "github.com/hashicorp/memberlist", "github.com/miekg/dns"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("the root package imports %s", d)
			}
		}
	}
}
