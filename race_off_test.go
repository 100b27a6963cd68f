//go:build !race

package apizee_test

// raceEnabled is set under the race detector (see race_on_test.go).
const raceEnabled = false
