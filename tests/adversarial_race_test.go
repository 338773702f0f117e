//go:build race

package tests

// advRace: the race detector is on. It allows at most 8,128 live
// goroutines, so TestAdversarial's full scale caps its goroutine-heavy
// attacks under it (see advScaleFor).
const advRace = true
