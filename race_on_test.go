//go:build race

package apizee_test

// raceEnabled is set under the race detector, which makes byte-by-byte
// decoding tens of times slower: the memory adversaries then build smaller
// answers (their bounds are ratios to the body, whatever its size).
const raceEnabled = true
