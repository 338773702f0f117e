package actors

// readerStack is the stack a wire's reader goroutine works in: from its
// read, through protoactor's layers, into the wire actor, the parse and
// the call's answer, its frames pass the 4 KiB that a goroutine's stack
// reaches after its first growth.
const readerStack = 8 << 10

// stackIndex is always zero; growStack reads its padding through it so
// that the compiler keeps the padding.
var stackIndex int

// growStack grows the calling goroutine's stack to readerStack at once,
// for a reader before its first read. A goroutine starts with 2 KiB, and
// the runtime grows a stack by copying it whole, adjusting every frame:
// a reader left to grow on its first chunk copies its deep stack twice
// (to 4 and then 8 KiB), about an eighth of the CPU of a wire that is
// made for one call. Here the runtime copies the one shallow frame below
// this one. A stack that outgrows readerStack grows as before, and the
// garbage collector shrinks the stacks of idle readers as before.
//
//go:noinline
func growStack() byte {
	// Half of readerStack: with the frames below it and the runtime's
	// guard, the 4 KiB a first growth gives is not enough, 8 KiB is.
	var pad [readerStack / 2]byte
	return pad[stackIndex]
}
