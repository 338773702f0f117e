// Package tests holds ipfi's cross-package suites: byte-exact interop with
// the Rust crate's golden vectors, wire death under load, and calls in both
// directions over every kind of transport. It has no non-test code.
package tests
