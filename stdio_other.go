//go:build !unix && !wasip1

package ipfi

import "os"

// takeStdio returns standard input and output as they are: without Unix
// descriptors there is neither a pollable duplicate nor a redirection of
// stray prints (see ConnectStdio).
func takeStdio() (in, out *os.File, err error) { return os.Stdin, os.Stdout, nil }
