package apizee

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReferenceMatch(t *testing.T) {
	tests := []struct {
		got, want string
		match     int
	}{
		{"case-1", "case-1", exactMatch},
		{"case-1", "case-1 ", trimmedMatch},
		{" case-1", "case-1", trimmedMatch},
		{"123", "000123", numericMatch},
		{"12.5", "12.50", numericMatch},
		{"42.0", "42", numericMatch},
		{"+7", "7", numericMatch},
		{"-0", "0", numericMatch},
		{"-12", "12", noMatch},
		{"1234", "123", noMatch},
		{"1e3", "1000", noMatch}, // an exponent is no reference
		{".5", "0.5", noMatch},
		{"", "0", noMatch},
		{"12.5", "7.5", noMatch},    // the whole part counts when there is a fraction
		{"123", "ref-123", noMatch}, // a number matches only a number
		{"ref-123", "123", noMatch},
		{"--1", "-1", noMatch},
		{"Case-1", "case-1", noMatch},
		{"0x10", "16", noMatch},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.match, referenceMatch(tt.got, tt.want), "%q against %q", tt.got, tt.want)
	}
}
