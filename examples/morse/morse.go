package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Symbol is one element of the Morse stream: a dot, a dash or a gap.
type Symbol byte

const (
	Dot       Symbol = '.'
	Dash      Symbol = '-'
	LetterGap Symbol = ' ' // between the two hex digits of a byte
	WordGap   Symbol = '/' // after each byte
)

// hexMorse is the Morse code of each hex digit, 0 to f.
var hexMorse = [16]string{
	"-----", ".----", "..---", "...--", "....-", ".....", "-....", "--...",
	"---..", "----.", ".-", "-...", "-.-.", "-..", ".", "..-.",
}

// morseHex maps a Morse letter back to its hex digit's value.
var morseHex = func() map[string]byte {
	m := make(map[string]byte, len(hexMorse))
	for v, code := range hexMorse {
		m[code] = byte(v)
	}
	return m
}()

// errBadMorse is the decoder's error for symbols that do not spell a byte.
var errBadMorse = errors.New("morse: symbols do not spell a byte")

// appendMorse appends b's symbols: its high hex digit, a letter gap, its low
// hex digit, a word gap.
func appendMorse(dst []Symbol, b byte) []Symbol {
	for _, c := range hexMorse[b>>4] {
		dst = append(dst, Symbol(c))
	}
	dst = append(dst, LetterGap)
	for _, c := range hexMorse[b&0xf] {
		dst = append(dst, Symbol(c))
	}
	return append(dst, WordGap)
}

// line carries one direction's symbols, one at a time over an unbuffered
// channel, from its encoder to its decoder. Closing either end ends both:
// a blocked Write or Read returns.
type line struct {
	name    string
	symbols chan Symbol
	done    chan struct{}
	once    sync.Once
	delay   time.Duration           // pause before each symbol
	show    func(name, text string) // prints a line of Morse as it is sent; nil prints nothing

	bytes, sent atomic.Int64 // bytes and symbols delivered to the decoder
}

func newLine(name string, delay time.Duration, show func(name, text string)) *line {
	return &line{name: name, symbols: make(chan Symbol), done: make(chan struct{}), delay: delay, show: show}
}

func (l *line) close() { l.once.Do(func() { close(l.done) }) }

// Encoder returns the line's writing end.
func (l *line) Encoder() *Encoder { return &Encoder{l: l} }

// Decoder returns the line's reading end.
func (l *line) Decoder() *Decoder { return &Decoder{l: l} }

// bytesPerShow is how many bytes of Morse go on one printed line.
const bytesPerShow = 6

// Encoder turns every byte written to it into Morse symbols sent down its
// line. It is the io.WriteCloser a wire writes to.
type Encoder struct {
	l   *line
	mu  sync.Mutex // keeps the symbols of concurrent writes apart
	buf []Symbol
}

// Write sends p's symbols and returns once the decoder has taken them all,
// or with io.ErrClosedPipe once the line is closed. Each printed line of
// Morse is shown just before its last symbol goes, so it comes out before
// anything the peer does with those bytes.
func (e *Encoder) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var text strings.Builder
	for i, b := range p {
		e.buf = appendMorse(e.buf[:0], b)
		last := len(e.buf) - 1
		for _, s := range e.buf[:last] {
			if err := e.put(s); err != nil {
				return i, err
			}
		}
		if text.Len() > 0 {
			text.WriteString(" / ")
		}
		fmt.Fprintf(&text, "%s %s", hexMorse[b>>4], hexMorse[b&0xf])
		if e.l.show != nil && ((i+1)%bytesPerShow == 0 || i == len(p)-1) {
			e.l.show(e.l.name, text.String())
			text.Reset()
		}
		if err := e.put(e.buf[last]); err != nil {
			return i, err
		}
		e.l.bytes.Add(1)
	}
	return len(p), nil
}

// put waits the line's delay, then hands s to the decoder.
func (e *Encoder) put(s Symbol) error {
	if e.l.delay > 0 {
		t := time.NewTimer(e.l.delay)
		select {
		case <-t.C:
		case <-e.l.done:
			t.Stop()
			return io.ErrClosedPipe
		}
	}
	select {
	case <-e.l.done:
		return io.ErrClosedPipe
	default:
	}
	select {
	case e.l.symbols <- s:
		e.l.sent.Add(1)
		return nil
	case <-e.l.done:
		return io.ErrClosedPipe
	}
}

// Close closes the line.
func (e *Encoder) Close() error { e.l.close(); return nil }

// Decoder turns the symbols arriving down its line back into bytes, one
// byte per Read. It is the io.ReadCloser a wire reads from.
type Decoder struct {
	l      *line
	letter []Symbol // dots and dashes of the hex digit being received
	digits []byte   // hex digits of the byte being received
}

// Read returns the next byte, io.EOF once the line is closed, or
// errBadMorse for symbols that do not spell a byte.
func (d *Decoder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		var s Symbol
		select {
		case s = <-d.l.symbols:
		case <-d.l.done:
			return 0, io.EOF
		}
		switch s {
		case Dot, Dash:
			if len(d.letter) == 5 {
				return 0, errBadMorse
			}
			d.letter = append(d.letter, s)
		case LetterGap, WordGap:
			v, ok := morseHex[string(d.letter)]
			if !ok || len(d.digits) == 2 {
				return 0, errBadMorse
			}
			d.letter = d.letter[:0]
			d.digits = append(d.digits, v)
			if s == LetterGap {
				continue
			}
			if len(d.digits) != 2 {
				return 0, errBadMorse
			}
			p[0] = d.digits[0]<<4 | d.digits[1]
			d.digits = d.digits[:0]
			return 1, nil
		default:
			return 0, errBadMorse
		}
	}
}

// Close closes the line.
func (d *Decoder) Close() error { d.l.close(); return nil }
