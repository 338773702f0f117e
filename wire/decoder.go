package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// DefaultMaxPayload is the payload limit of a Decoder made with
// NewDecoder(0): 16 MiB.
const DefaultMaxPayload = 16 << 20

// keepBufferCap is the largest payload buffer a Decoder keeps once its
// frame has been emitted; a larger one is dropped so an idle decoder stays
// small.
const keepBufferCap = 64 << 10

// eagerBufferCap is the largest split payload for which a Decoder allocates
// the declared length at once, as soon as a share (1/eagerShare) of it has
// arrived: one allocation for a frame that arrives in a few reads, while a
// peer that declares much and sends a few bytes makes the decoder hold no
// more than eagerShare times what it sent. A larger payload's buffer grows
// with the bytes that arrive.
const (
	eagerBufferCap = 128 << 10
	eagerShare     = 8
)

// minBufferCap is the smallest payload buffer a Decoder allocates.
const minBufferCap = 512

// Decoder is an incremental decoder of a byte stream into frames. Feed it
// bytes split at any boundary; it resumes where it left off.
//
// A Decoder starts no goroutine and is not safe for concurrent use: one
// reader goroutine owns it. Its zero value is not usable; call NewDecoder.
type Decoder struct {
	max int   // largest accepted payload
	err error // first fatal error, returned by every later Feed
	ext int   // the extension version whose headers are parsed (SetExtensionVersion)

	// Header of the current frame, while it is split across Feeds.
	hdr  [MaxHeaderLen]byte
	hn   int // bytes held in hdr
	hlen int // length of the current header once its multiflag is known

	// Payload of the current frame, while it is split across Feeds.
	inBody bool
	cur    Frame // the current frame's header fields
	n      int   // the current frame's declared payload length
	buf    []byte
	staged bool // buf is a staging segment of the pool (see grow)
	// The staging segments before buf, full, and the bytes they hold.
	stage      [][]byte
	stageBytes int
	// Set while the frame being emitted has its payload in buf.
	emittingBuf bool
	kept        bool // the consumer kept buf (see Keep)
}

// NewDecoder returns a decoder that rejects, with an error wrapping
// ErrFrameTooLarge, any frame whose declared payload exceeds maxPayload
// bytes, before allocating anything for it. maxPayload <= 0 means
// DefaultMaxPayload.
func NewDecoder(maxPayload int) *Decoder {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayload
	}
	return &Decoder{max: maxPayload}
}

// Feed consumes all of p, calling emit for each complete frame in order,
// synchronously. It does not keep p after it returns.
//
// A frame's Payload is only valid during the emit call that delivers it: it
// may alias p or the decoder's internal buffer. Copy it to keep it, or call
// Keep, which hands over the decoder's buffer when the payload is in it. A
// payload that lies wholly inside p is delivered without copying.
//
// If emit returns an error, Feed stops and returns it; the decoder must
// not be used afterwards (later Feeds return that error). On malformed
// input Feed returns an error wrapping ErrMalformed (and ErrFrameTooLarge
// for a declared length over the limit) after emitting every frame before
// the bad one, and every later Feed returns the same error.
func (d *Decoder) Feed(p []byte, emit func(Frame) error) error {
	return d.feed(p, emit, nil)
}

// BodyRoom returns where the rest of the payload being gathered may be
// read in place, sparing the copy from a read buffer: the payload buffer's
// free room, at most the bytes still missing, the buffer grown first as
// Feed would grow it. It returns nil unless a payload is being gathered
// that lacks at least least bytes. Bytes read there are handed in with
// BodyRead, before anything else is fed.
func (d *Decoder) BodyRoom(least int) []byte {
	if !d.inBody || d.err != nil || d.n-d.got() < least {
		return nil
	}
	if len(d.buf) == cap(d.buf) {
		d.grow(d.got() + 1)
	}
	end := min(cap(d.buf), len(d.buf)+d.n-d.got())
	return d.buf[len(d.buf):end:end]
}

// BodyRead takes n bytes read into the room BodyRoom returned as more of
// the payload, and emits its frame once the payload is complete, as Feed
// would (errors included).
func (d *Decoder) BodyRead(n int, emit func(Frame) error) error {
	if d.err != nil {
		return d.err
	}
	d.buf = d.buf[:len(d.buf)+n]
	if d.got() < d.n {
		return nil
	}
	return d.emitBody(emit)
}

// Run is where FeedRuns collects the values of a stream: their payloads
// back to back in Payload, and where each ends in Ends.
type Run struct {
	// Payload receives the values' payloads, appended within its spare
	// capacity: FeedRuns never grows it (a value that does not fit is
	// emitted instead).
	Payload []byte
	// Ends receives, for each value appended to Payload, len(Payload) -
	// Base after it (appended to, growing as append does).
	Ends []uint32
	// Base is the offset in Payload that Ends are counted from.
	Base int
}

// FeedRuns is Feed with a shortcut for streams. After emit has been given
// a Response frame with terminator Chunk whose payload lies in p, each
// frame that follows it directly in p and repeats its header up to the
// length field (a further value of the same call's stream: same kind,
// multiflag, procedure and call), with a non-empty payload that lies
// wholly in p and fits in r.Payload's spare capacity, is taken into r
// (its payload appended to r.Payload, its end to r.Ends) instead of being
// emitted. The first frame that does not qualify goes to emit as usual;
// emit may set r.Payload (typically after copying the payload it is given
// to where further values should follow) and r.Base, and leaves r.Payload
// without spare capacity to take no values. Everything about errors and
// limits is as for Feed.
//
// A stream of small values is mostly headers: recognising a repeated
// header by comparing its bytes and appending its payload in place spares
// decoding each header and passing a Frame to emit.
func (d *Decoder) FeedRuns(p []byte, emit func(Frame) error, r *Run) error {
	return d.feed(p, emit, r)
}

// feed is Feed, and FeedRuns when r is not nil. Its loop decodes each
// message that lies wholly in p where it lies, emitting its payload
// without copying it and taking a stream's further values into r (run).
// The rest of a payload split across Feeds is gathered by body; a header
// split across Feeds, and a message without a header, are taken by step.
func (d *Decoder) feed(p []byte, emit func(Frame) error, r *Run) error {
	if d.err != nil {
		return d.err
	}
	for len(p) > 0 {
		if d.inBody {
			var err error
			if p, err = d.body(p, emit); err != nil {
				return err
			}
			continue
		}
		if d.hn > 0 || len(p) < 2 || !d.hasHeader(Kind(p[0])) {
			var err error
			if p, err = d.step(p, emit); err != nil {
				return err
			}
			continue
		}
		hlen, err := headerLen(p[1])
		if err != nil {
			return d.fail(err)
		}
		if len(p) < hlen {
			d.hn, d.hlen = copy(d.hdr[:], p), hlen // header gathers the rest
			return nil
		}
		var f Frame
		n, err := d.parseHeader(p[:hlen], &f)
		if err != nil {
			return d.fail(err)
		}
		hdr := p[:hlen]
		p = p[hlen:]
		if n > len(p) {
			d.startBody(f, hlen, n) // body gathers the payload
			continue
		}
		if n > 0 {
			f.Payload = p[:n:n]
		}
		p = p[n:]
		if err := d.emit(emit, f); err != nil {
			return err
		}
		if r != nil && n > 0 && f.Kind == KindResponse && f.Terminator == TermChunk {
			p = d.run(p, hdr, r)
		}
	}
	return nil
}

// step consumes the start of p, outside a payload, where feed's loop does
// not: a header split across Feeds, begun (d.hn > 0) or beginning (its
// type byte alone at the end of p), which header gathers; or a message
// without a header, which it emits. It returns the rest of p.
func (d *Decoder) step(p []byte, emit func(Frame) error) ([]byte, error) {
	if d.hn > 0 || d.hasHeader(Kind(p[0])) {
		return d.header(p, emit)
	}
	return p[1:], d.emit(emit, Frame{Kind: Kind(p[0])})
}

// body appends the start of p to the payload of the current frame and
// emits the frame once the payload is complete. It returns the rest of p,
// empty while the payload is not complete.
func (d *Decoder) body(p []byte, emit func(Frame) error) ([]byte, error) {
	k := min(d.n-d.got(), len(p))
	d.appendBody(p[:k])
	if d.got() < d.n {
		return nil, nil
	}
	return p[k:], d.emitBody(emit)
}

// header gathers in d.hdr a header split across Feeds (d.hn bytes of it
// are there, p holds the next) and returns the rest of p. Once the header
// is complete, it emits its frame if the payload is empty, and otherwise
// starts the payload (startBody).
func (d *Decoder) header(p []byte, emit func(Frame) error) ([]byte, error) {
	if d.hn < 2 {
		// The multiflag, which gives the header's length, is not there yet.
		k := copy(d.hdr[d.hn:2], p)
		d.hn += k
		p = p[k:]
		if d.hn < 2 {
			return p, nil
		}
		hlen, err := headerLen(d.hdr[1])
		if err != nil {
			return nil, d.fail(err)
		}
		d.hlen = hlen
	}
	k := copy(d.hdr[d.hn:d.hlen], p)
	d.hn += k
	p = p[k:]
	if d.hn < d.hlen {
		return p, nil
	}
	var f Frame
	n, err := d.parseHeader(d.hdr[:d.hlen], &f)
	if err != nil {
		return nil, d.fail(err)
	}
	d.hn = 0
	if n > 0 {
		d.startBody(f, d.hlen, n)
		return p, nil
	}
	return p, d.emit(emit, f)
}

// run takes into r the frames at the start of p that repeat hdr, a
// Response Chunk header, up to its length field, as long as they are
// complete in p with a payload of 1..d.max bytes that fits in r.Payload,
// and returns the rest of p. The frame that stops it is left to feed's
// loop, which reports it if it is malformed.
func (d *Decoder) run(p, hdr []byte, r *Run) []byte {
	lw := hdr[1] >> shiftLength & 3
	hlen := len(hdr)
	prefix := hdr[:hlen-widthBytes[lw]]
	// A prefix of up to 8 bytes (the usual: 4) is compared as one integer
	// where 8 bytes are left.
	var want, mask uint64
	short := len(prefix) <= 8
	if short {
		for i, b := range prefix {
			want |= uint64(b) << (8 * i)
		}
		mask = 1<<(8*len(prefix)) - 1
		if len(prefix) == 8 {
			mask = ^uint64(0)
		}
	}
	buf, ends, base := r.Payload, r.Ends, r.Base
	for len(p) > hlen {
		if short && len(p) >= 8 {
			if binary.LittleEndian.Uint64(p)&mask != want {
				break
			}
		} else if string(p[:len(prefix)]) != string(prefix) {
			break
		}
		n := readUint(p[len(prefix):hlen], lw)
		if n == 0 || n > uint64(len(p)-hlen) || n > uint64(d.max) || n > uint64(cap(buf)-len(buf)) {
			break
		}
		end := hlen + int(n)
		buf = append(buf, p[hlen:end]...)
		ends = append(ends, uint32(len(buf)-base))
		p = p[end:]
	}
	r.Payload, r.Ends = buf, ends
	return p
}

// SetExtensions turns the parsing of extension headers on or off. Off, as
// a new Decoder starts, kinds 0xF1..0xF6 are emitted as bodiless unknown
// frames, one byte each, as for a peer that never announced the extensions.
// On, they are parsed like Call and Response: a header, then a payload
// under the same limit. KindAnnounce (0xF0) is always a single byte.
//
// It may be called from inside emit, typically on seeing a KindAnnounce
// frame: the change applies from the next message that starts, the very
// next byte of the same Feed included. A message whose type byte has
// already been read keeps the reading it started with.
func (d *Decoder) SetExtensions(on bool) {
	if on {
		d.SetExtensionVersion(1)
	} else {
		d.SetExtensionVersion(0)
	}
}

// SetExtensionVersion sets which extension kinds have their headers
// parsed: none for 0 (as a new Decoder starts), 0xF1..0xF6 for 1 (as
// SetExtensions(true)), 0xF1..0xF8 for 2 and more. It takes effect as
// SetExtensions does, typically on seeing KindAnnounce (version 1) and
// then KindAnnounce2 (version 2). The announcements are always a single
// byte.
func (d *Decoder) SetExtensionVersion(v int) { d.ext = v }

// hasHeader reports whether a message of kind k carries a header for this
// decoder: Call and Response always, the extension kinds other than the
// announcements when their version is on.
func (d *Decoder) hasHeader(k Kind) bool {
	if k.HasHeader() {
		return true
	}
	v := k.extVersion()
	return v > 0 && v <= d.ext
}

// Keep may be called by emit to keep the payload of the frame it is given
// beyond the emit call. It reports whether that is allowed: true when the
// payload was assembled in a buffer of the decoder's own, which the decoder
// then gives up (it allocates a new one for the next split frame); false
// when the payload aliases the bytes passed to Feed, which the caller must
// copy to keep.
func (d *Decoder) Keep() bool {
	if !d.emittingBuf {
		return false
	}
	d.kept = true
	return true
}

// Buffered reports how many bytes of an incomplete frame the decoder has
// consumed so far (header and payload), 0 between frames.
func (d *Decoder) Buffered() int {
	if d.inBody {
		return d.hlen + d.got()
	}
	return d.hn
}

// Reset releases the internal buffer and returns the decoder to its
// initial state, forgetting any partial frame and any error, with
// extensions off. The payload limit is kept.
func (d *Decoder) Reset() {
	d.unstage()
	*d = Decoder{max: d.max}
}

// headerLen validates a Call, Response or extension multiflag and returns the length
// of the whole header it describes, type byte included.
func headerLen(mf byte) (int, error) {
	if mf&termMask == termBitsInvalid {
		return 0, fmt.Errorf("%w: invalid terminator bits in multiflag 0x%02x", ErrMalformed, mf)
	}
	return 2 + widthBytes[mf>>shiftProcedure&3] + widthBytes[mf>>shiftCall&3] +
		widthBytes[mf>>shiftLength&3], nil
}

// parseHeader decodes the complete header h (type byte first, validated by
// headerLen) into f, whose payload it leaves alone, and returns the
// payload's declared length. It fills f in place rather than returning a
// Frame, which would be copied on every frame's path.
func (d *Decoder) parseHeader(h []byte, f *Frame) (int, error) {
	k, mf := Kind(h[0]), h[1]
	f.Kind = k
	switch mf & termMask {
	case termBitsChunk:
		f.Terminator = TermChunk
	case termBitsComplete:
		f.Terminator = TermComplete
	default:
		f.Terminator = TermNone
	}
	pw, cw, lw := mf>>shiftProcedure&3, mf>>shiftCall&3, mf>>shiftLength&3
	h = h[2:]
	f.Procedure = readUint(h, pw)
	h = h[widthBytes[pw]:]
	f.Call = readUint(h, cw)
	h = h[widthBytes[cw]:]
	length := readUint(h, lw)
	if length > uint64(d.max) {
		return 0, fmt.Errorf("%w: declared payload of %d bytes, limit %d", ErrFrameTooLarge, length, d.max)
	}
	if length == 0 && k == KindCall && f.Terminator == TermNone {
		return 0, fmt.Errorf("%w: empty call with terminator none (procedure %d, call %d)", ErrMalformed, f.Procedure, f.Call)
	}
	return int(length), nil
}

// startBody records the header of a frame whose n > 0 payload bytes have
// not all arrived yet.
func (d *Decoder) startBody(f Frame, hlen, n int) {
	d.inBody, d.cur, d.hlen, d.n = true, f, hlen, n
	d.buf = d.buf[:0]
}

// pooledFrom is the size from which payload buffers come from the buffer
// pool.
const pooledFrom = 32 << 10

// stageFrom is the smallest staging buffer taken from the pool (its
// smallest class); a smaller one is allocated.
const stageFrom = 4 << 10

// pieceRoom: a piece larger than eagerBufferCap that more pieces will
// follow gets room for 1/pieceRoom of its length more.
const pieceRoom = 8

// got returns the payload bytes gathered so far.
func (d *Decoder) got() int { return d.stageBytes + len(d.buf) }

// appendBody appends b to the payload gathered, growing the buffer no
// further than the declared length.
func (d *Decoder) appendBody(b []byte) {
	for len(b) > 0 {
		if len(d.buf) == cap(d.buf) {
			d.grow(d.got() + len(b))
		}
		k := min(cap(d.buf)-len(d.buf), len(b))
		d.buf = append(d.buf, b[:k]...)
		b = b[k:]
	}
}

// grow makes room in the payload buffer, on the way to need bytes. The
// payload never holds more than twice what has arrived (at least
// minBufferCap), except that a payload of up to eagerBufferCap gets its
// declared length once an eighth of it has arrived: a peer that declares
// much and sends little makes the decoder hold little.
//
// A payload of pooledFrom bytes or more is gathered in buffers of the
// library's pool, reused memory that the runtime neither zeroes nor faults
// in again: first in staging segments, each as large as all before it,
// which are never copied to grow and go back to the pool as soon as the
// payload moves to its own buffer (no consumer ever sees them); that
// happens once half of the payload has arrived, into the buffer of its
// declared length, which the frame's consumer may keep.
func (d *Decoder) grow(need int) {
	eager := d.n <= eagerBufferCap && need >= d.n/eagerShare
	if d.n < pooledFrom {
		c := min(max(2*cap(d.buf), 2*need, minBufferCap), d.n)
		if eager {
			c = d.n
		}
		d.allocate(c)
		return
	}
	// The payload's own buffer, once half of it has arrived; a piece
	// larger than eagerBufferCap that more will follow gets room for a
	// small last one (actors' gather appends it there).
	final := d.n
	if !eager && d.cur.Terminator == TermNone && (d.cur.Kind == KindCall || d.cur.Kind == KindResponse) {
		final += d.n / pieceRoom
	}
	got := d.got()
	if eager || 2*need >= final {
		d.gather(final)
		return
	}
	// Staging: a segment as large as what has arrived, or as what is
	// arriving (the payload holds at most twice that), ending at half the
	// final buffer at most, so that the next growth is the last.
	size := min(max(got, need-got, minBufferCap), final/2-got)
	if size < stageFrom && len(d.stage) == 0 && !d.staged {
		d.allocate(min(max(2*cap(d.buf), 2*need, minBufferCap), final/2, d.n))
		return
	}
	// A staging segment keeps its class's whole capacity, so that Put
	// files it where GetCap finds it; a class is at most an eighth larger
	// than asked, so asking for 8/9 of size gets no more than size.
	seg := bufpool.GetCap(max(size-size/9, stageFrom))
	if len(d.buf) > 0 {
		d.stage = append(d.stage, d.buf)
		d.stageBytes += len(d.buf)
	}
	d.buf, d.staged = seg, true
}

// gather moves the payload so far into a buffer of the pool of capacity c,
// its own, and the staging segments back into the pool.
func (d *Decoder) gather(c int) {
	nb := bufpool.GetCap(c)[:0:c]
	for _, seg := range d.stage {
		nb = append(nb, seg...)
	}
	nb = append(nb, d.buf...)
	d.unstage()
	d.buf = nb
}

// allocate moves the payload so far into a new buffer of capacity c, not
// from the pool. Only while nothing is staged.
func (d *Decoder) allocate(c int) {
	nb := make([]byte, len(d.buf), c)
	copy(nb, d.buf)
	d.buf = nb
}

// unstage puts the staging segments back into the pool, buf's too if it
// is one.
func (d *Decoder) unstage() {
	for _, seg := range d.stage {
		bufpool.Put(seg)
	}
	clear(d.stage)
	d.stage, d.stageBytes = d.stage[:0], 0
	if d.staged {
		bufpool.Put(d.buf)
		d.staged = false
	}
}

// emitBody emits the buffered frame and readies the decoder for the next.
func (d *Decoder) emitBody(emit func(Frame) error) error {
	if d.staged || len(d.stage) > 0 {
		// Not reached while grow moves a payload to its own buffer at
		// half: a staging segment must never reach a consumer.
		d.gather(d.n)
	}
	f := d.cur
	f.Payload = d.buf
	d.inBody, d.cur = false, Frame{}
	d.emittingBuf, d.kept = true, false
	err := d.emit(emit, f)
	d.emittingBuf = false
	if d.kept || cap(d.buf) > keepBufferCap {
		d.buf = nil
	} else {
		d.buf = d.buf[:0]
	}
	return err
}

// emit calls emit and makes its error sticky.
func (d *Decoder) emit(emit func(Frame) error, f Frame) error {
	if err := emit(f); err != nil {
		return d.fail(err)
	}
	return nil
}

// fail records err as the decoder's fatal error and returns it.
func (d *Decoder) fail(err error) error {
	d.err = err
	d.unstage()
	d.buf = nil
	return err
}
