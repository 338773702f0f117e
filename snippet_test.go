package ipfi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// snippetModule writes files into a fresh module that requires this
// library, replaced by this checkout, as a program of a user's would, and
// returns its directory.
func snippetModule(t *testing.T, files map[string]string) string {
	t.Helper()
	root, err := os.Getwd() // the root package's directory: the library's module
	must(t, err)
	dir := t.TempDir()
	gomod := "module snippet\n\ngo 1.23\n\n" +
		"require github.com/ipfi-go/ipfi v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/ipfi-go/ipfi => " + root + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	for name, src := range files {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	return dir
}

// goCommand runs the go command in dir with args, at most two minutes,
// and returns its combined output and error.
func goCommand(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	// The snippet's go.sum is the library's; -mod=mod completes the
	// module graph without asking the checksum database.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// skipWithoutGo skips a test that builds programs where it cannot: in
// -short runs, and where the go command is not on the path.
func skipWithoutGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program: not in -short runs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
}

// firstGoBlock returns the first ```go block of a Markdown text, and the
// line it starts on.
func firstGoBlock(t *testing.T, md string) (string, int) {
	t.Helper()
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "```go" {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "```" {
				return strings.Join(lines[i+1:j], "\n") + "\n", i + 1
			}
		}
		t.Fatalf("the go block at line %d is not closed", i+1)
	}
	t.Fatal("no go block")
	return "", 0
}
