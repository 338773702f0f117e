package ipfi_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeStartsWithGoGet: the README's first 40 lines hold the go get
// line, before its first Go block.
func TestReadmeStartsWithGoGet(t *testing.T) {
	md, err := os.ReadFile("README.md")
	must(t, err)
	lines := strings.Split(string(md), "\n")
	_, block := firstGoBlock(t, string(md))
	for i, l := range lines[:min(40, len(lines))] {
		if strings.Contains(l, "go get github.com/ipfi-go/ipfi") {
			if i+1 > block {
				t.Errorf("the go get line (line %d) comes after the first Go block (line %d)", i+1, block)
			}
			return
		}
	}
	t.Error("no `go get github.com/ipfi-go/ipfi` in the README's first 40 lines")
}

// TestReadmeFirstProgramRuns: the README's first Go block is a complete
// program that runs as printed, in a module of its own that requires the
// library, and exits 0 after printing what its comments promise.
func TestReadmeFirstProgramRuns(t *testing.T) {
	skipWithoutGo(t)
	md, err := os.ReadFile("README.md")
	must(t, err)
	src, line := firstGoBlock(t, string(md))
	if !strings.HasPrefix(src, "package main\n") {
		t.Fatalf("README's first Go block (line %d) is not a package main", line)
	}
	dir := snippetModule(t, map[string]string{"main.go": src})
	out, err := goCommand(t, dir, "run", ".")
	if err != nil {
		t.Fatalf("go run of README's first Go block (line %d): %v\n%s", line, err, out)
	}
	want := "Hello, world!\n1\n2\n3\n"
	if out != want {
		t.Errorf("it printed %q, want %q", out, want)
	}
}
