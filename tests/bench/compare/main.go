// Command compare runs the comparison harness against several revisions of
// the library and reports, for every ratio, how each revision moved against
// the first (the base), paired round by round.
//
//	cd tests/bench
//	go run ./compare -rounds 10 bd8c8a4 HEAD
//
// Each revision's library is exported with git archive into a temporary
// directory, and this checkout's harness (tests/bench's sources and go.mod)
// is built against it: every revision is measured by the same harness. A
// round then runs every revision's harness once (go run . -quick by
// default), in an order that rotates from round to round. The machine's
// speed drifts between rounds far more than within one, so a revision is
// compared with the base of the same round: "paired" is the median over
// rounds of (revision's ratio / base's ratio), with its 95% interval by the
// bootstrap. The ratios are the harness's JSON ones, ipfi's time over the
// other system's (paired within the harness's own rounds): lower is
// better, for throughput scenarios too (a throughput ratio is its
// inverse).
//
// It needs git and the go command, and the machine to itself while it
// runs. A revision whose library lacks an API the harness uses fails to
// build, and compare says so.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi/tests/bench/internal/stats"
)

func main() {
	rounds := flag.Int("rounds", 6, "rounds to run (each runs every revision once)")
	args := flag.String("args", "-quick", "the harness's arguments (space-separated)")
	keep := flag.Bool("keep", false, "keep the temporary directory (builds and each run's JSON)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./compare [flags] BASE REV [REV...]   (from tests/bench)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *rounds, strings.Fields(*args), *keep); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// runTimeout bounds one harness run.
const runTimeout = 10 * time.Minute

func run(revs []string, rounds int, args []string, keep bool) error {
	bench, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(bench, "sys_ipfi.go")); err != nil {
		return fmt.Errorf("run it from tests/bench: %w", err)
	}
	root := filepath.Dir(filepath.Dir(bench))
	tmp, err := os.MkdirTemp("", "ipfi-compare-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bins := make([]string, len(revs))
	for i, rev := range revs {
		if bins[i], err = build(root, bench, tmp, rev); err != nil {
			return fmt.Errorf("%s: %w", rev, err)
		}
	}
	// results[round][revision]: scenario -> "ipfi/SYSTEM" -> ratio
	results := make([][]map[string]map[string]float64, rounds)
	for r := range rounds {
		results[r] = make([]map[string]map[string]float64, len(revs))
		for k := range revs {
			i := (k + r) % len(revs)
			out := filepath.Join(tmp, fmt.Sprintf("r%d-%d.json", r, i))
			if results[r][i], err = measure(bins[i], args, out); err != nil {
				return fmt.Errorf("round %d, %s: %w", r, revs[i], err)
			}
		}
		fmt.Fprintf(os.Stderr, "round %d of %d done\n", r+1, rounds)
	}
	report(revs, results)
	return nil
}

// build exports rev's tree into tmp, puts this checkout's harness in its
// tests/bench and builds it; it returns the binary's path.
func build(root, bench, tmp, rev string) (string, error) {
	dir := filepath.Join(tmp, "src-"+sanitize(rev))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	archive := exec.Command("sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", root, rev, dir)
	if out, err := archive.CombinedOutput(); err != nil {
		return "", fmt.Errorf("git archive: %w: %s", err, out)
	}
	dst := filepath.Join(dir, "tests", "bench")
	own := filepath.Join(dir, "tests", "bench.own") // the revision's own harness
	if err := os.Rename(dst, own); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	if err := copyHarness(bench, dst); err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "bench-"+sanitize(rev))
	out, err := goBuild(dst, bin)
	if err == nil {
		return bin, nil
	}
	// A file that does not compile against the revision (it uses an API
	// the library gained later) is replaced by the revision's own version
	// of it, once.
	var replaced []string
	for _, m := range compileErr.FindAllStringSubmatch(string(out), -1) {
		name := m[1]
		if slices.Contains(replaced, name) {
			continue
		}
		b, rerr := os.ReadFile(filepath.Join(own, name))
		if rerr != nil {
			return "", fmt.Errorf("building the harness against it: %w\n%s", err, out)
		}
		if werr := os.WriteFile(filepath.Join(dst, name), b, 0o644); werr != nil {
			return "", werr
		}
		replaced = append(replaced, name)
	}
	if len(replaced) == 0 {
		return "", fmt.Errorf("building the harness against it: %w\n%s", err, out)
	}
	if out, err := goBuild(dst, bin); err != nil {
		return "", fmt.Errorf("building the harness against it (with its own %s): %w\n%s", strings.Join(replaced, ", "), err, out)
	}
	fmt.Fprintf(os.Stderr, "%s: built with its own %s (this harness's do not compile against it)\n", rev, strings.Join(replaced, ", "))
	return bin, nil
}

// compileErr matches a compiler error's file in the harness's directory.
var compileErr = regexp.MustCompile(`(?m)^\./([A-Za-z0-9_]+\.go):\d+`)

func goBuild(dir, bin string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// copyHarness copies the harness's sources and module files (not its
// tests, nor this command), and its internal packages, from src to dst.
func copyHarness(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() && name == "internal" {
			if err := copyTree(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
				return err
			}
			continue
		}
		if e.IsDir() || strings.HasSuffix(name, "_test.go") ||
			!(strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, fs.FileMode(0o644)); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the Go sources under src, tests aside, to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
}

// measure runs one harness binary and returns its ratios.
func measure(bin string, args []string, out string) (map[string]map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(slices.Clone(args), "-json", out)...)
	cmd.Dir = os.TempDir()
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Ratios map[string]map[string]float64 `json:"ratios"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return rep.Ratios, nil
}

// report prints, for every ratio and revision after the base, the medians
// and ranges over rounds and the paired median.
func report(revs []string, results [][]map[string]map[string]float64) {
	type key struct{ scenario, ratio string }
	var keys []key
	for sc, m := range results[0][0] {
		for r := range m {
			keys = append(keys, key{sc, r})
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].scenario != keys[j].scenario {
			return keys[i].scenario < keys[j].scenario
		}
		return keys[i].ratio < keys[j].ratio
	})
	fmt.Printf("%d rounds; ratios are ipfi's time over the system's (lower is better); paired is the median of rev/base per round, with its 95%% interval (bootstrap)\n", len(results))
	for _, rev := range revs[1:] {
		fmt.Printf("\n%s -> %s\n", revs[0], rev)
		i := slices.Index(revs[1:], rev) + 1
		for _, k := range keys {
			var base, other, paired []float64
			for _, round := range results {
				b, ok1 := round[0][k.scenario][k.ratio]
				o, ok2 := round[i][k.scenario][k.ratio]
				if !ok1 || !ok2 || b == 0 {
					continue
				}
				base, other, paired = append(base, b), append(other, o), append(paired, o/b)
			}
			if len(paired) == 0 {
				continue
			}
			lo, hi := stats.Interval(paired)
			fmt.Printf("  %-14s %-20s %6.3f [%.3f-%.3f] -> %6.3f [%.3f-%.3f]  paired %.3f [%.3f-%.3f]\n",
				k.scenario, k.ratio, stats.Median(base), slices.Min(base), slices.Max(base),
				stats.Median(other), slices.Min(other), slices.Max(other), stats.Median(paired), lo, hi)
		}
	}
}

// sanitize makes a revision name usable in a file name.
func sanitize(rev string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '~' || r == '^' || r == ':' {
			return '_'
		}
		return r
	}, rev)
}
