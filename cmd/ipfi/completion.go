package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The completion command is added in init: its script lists the commands,
// which would otherwise refer to it from their own initialisation.
func init() {
	commands = append(commands, command{"completion", "bash", "print a bash completion script: source <(ipfi completion bash)", runCompletion})
}

// runCompletion is "ipfi completion bash": a bash script that completes
// the commands, each command's flags and the forms of ADDR.
func runCompletion(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if rest[0] != "bash" {
		return usageError{fmt.Sprintf("no completion for %q (bash is the one there is)", rest[0])}
	}
	var names []string
	var cases strings.Builder
	for i := range commands {
		c := &commands[i]
		names = append(names, c.name)
		if c.name == "completion" {
			continue
		}
		// A command declares its flags as it runs; -h makes it stop there.
		cfs := newFlagSet(c, io.Discard)
		_ = c.run(ctx, cfs, []string{"-h"}, io.Discard, io.Discard)
		var flags []string
		cfs.VisitAll(func(f *flag.Flag) { flags = append(flags, "-"+f.Name) })
		sort.Strings(flags)
		fmt.Fprintf(&cases, "\t%s) flags=%q ;;\n", c.name, strings.Join(flags, " "))
	}
	names = append(names, "help")
	fmt.Fprintf(stdout, `# bash completion for ipfi: source <(ipfi completion bash)
_ipfi() {
	local cur=${COMP_WORDS[COMP_CWORD]} flags=""
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	case "${COMP_WORDS[1]}" in
%s	help) COMPREPLY=($(compgen -W %q -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "tcp:// tls:// ws:// wss:// unix:// exec: stdio:" -- "$cur"))
	compopt -o nospace 2>/dev/null
}
complete -F _ipfi ipfi
`, strings.Join(names, " "), cases.String(), strings.Join(names[:len(names)-1], " "))
	return nil
}
