package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildGuests builds the guests named (directories of this module:
// "guest", "handguest", "liteguest") for wasip1 into dir, or with native
// for this machine, and returns their paths in the same order. It runs the
// go command in this module's directory, which it finds from the working
// directory (examples/wasm or below). Into a directory kept between runs
// (the user's cache) an up-to-date build links nothing.
func buildGuests(ctx context.Context, dir string, native bool, names ...string) ([]string, error) {
	modDir, err := moduleDir(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env, suffix := []string{"GOOS=wasip1", "GOARCH=wasm"}, ".wasm"
	if native {
		env, suffix = nil, "-native"
	}
	var paths []string
	for _, name := range names {
		out := filepath.Join(dir, name+suffix)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./"+name)
		cmd.Dir = modDir
		cmd.Env = append(os.Environ(), env...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s go build ./%s: %w\n%s", strings.Join(env, " "), name, err, msg)
		}
		paths = append(paths, out)
	}
	return paths, nil
}

// thisModule is the module whose guests buildGuests builds.
const thisModule = "github.com/ipfi-go/ipfi/examples/wasm"

// moduleDir returns the directory of this module, as the go command sees
// it from the working directory.
func moduleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	path, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if err != nil || path != thisModule {
		return "", fmt.Errorf("the guests' sources are in module %s, not in the working directory (go list -m: %q, %v): run from examples/wasm, or give -guest and -handguest", thisModule, path, err)
	}
	return dir, nil
}
