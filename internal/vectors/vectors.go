// Package vectors holds the golden byte sequences captured from the Rust
// crate ipfi 0.1.0-rc.2 (the file in testdata/, copied from the project's
// shared vectors) and parses them for tests.
//
// The file's format: a '# description' line, then 'name HEX'. Names starting
// with "msgpack_" are MessagePack values, not wire messages. A description
// containing "[HEADER ONLY" marks a vector that holds only the first bytes of
// a longer message.
package vectors

import (
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
)

//go:embed testdata/ipfi-rs-0.1.0-rc.2.txt
var file string

// Vector is one golden byte sequence.
type Vector struct {
	Name        string
	Description string
	Bytes       []byte
	// HeaderOnly is true when Bytes is only the start of a longer message.
	HeaderOnly bool
}

// IsMsgpack reports whether the vector is a MessagePack value rather than
// wire bytes.
func (v Vector) IsMsgpack() bool { return strings.HasPrefix(v.Name, "msgpack_") }

// All returns every vector in file order. It panics if the embedded file is
// malformed, which a test of this package rules out.
func All() []Vector {
	out, err := Parse(file)
	if err != nil {
		panic(err)
	}
	return out
}

// Parse reads vectors in this file's format: '# description' lines, then
// 'name HEX' lines, blank lines ignored. The project's own vector files
// (the extensions') use it too.
func Parse(text string) ([]Vector, error) {
	var out []Vector
	desc := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			desc = strings.TrimSpace(strings.TrimLeft(line, "# "))
			continue
		}
		name, hx, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("vectors: line %d: no hex", i+1)
		}
		b, err := hex.DecodeString(strings.TrimSpace(hx))
		if err != nil {
			return nil, fmt.Errorf("vectors: line %d: %v", i+1, err)
		}
		out = append(out, Vector{Name: name, Description: desc, Bytes: b, HeaderOnly: strings.Contains(desc, "[HEADER ONLY")})
	}
	return out, nil
}

// Get returns the named vector's bytes; it panics on an unknown name.
func Get(name string) []byte {
	for _, v := range All() {
		if v.Name == name {
			return v.Bytes
		}
	}
	panic("vectors: no vector " + name)
}
