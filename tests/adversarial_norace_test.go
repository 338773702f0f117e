//go:build !race

package tests

// advRace: the race detector is off (see adversarial_race_test.go).
const advRace = false
