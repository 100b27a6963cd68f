package apizee

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorfQuotesItsCausesWithoutThePrefix(t *testing.T) {
	other := errors.New("dial tcp: refused")
	one := errorf("apizee: no ticket with reference %q: %w", "x", ErrNotFound)
	assert.Equal(t, `apizee: no ticket with reference "x": not found`, one.Error())
	assert.Same(t, ErrNotFound, errors.Unwrap(one), "one cause unwraps as with fmt.Errorf")

	two := errorf("apizee: creating failed (%w) and listing failed too (%w)", ErrServer, other)
	assert.Equal(t, "apizee: creating failed (server error) and listing failed too (dial tcp: refused)", two.Error())
	assert.ErrorIs(t, two, ErrServer)
	assert.ErrorIs(t, two, other)

	nested := errorf("apizee: outer: %w", errorf("apizee: inner: %w", ErrForbidden))
	assert.Equal(t, "apizee: outer: inner: forbidden", nested.Error())
	assert.ErrorIs(t, nested, ErrForbidden)

	var apiErr *APIError
	assert.Equal(t, "apizee: quoting: <nil>", errorf("apizee: quoting: %v", error(apiErr)).Error(), "a nil pointer quotes as fmt shows it")
	assert.Equal(t, "apizee: a ticket fetch in flight did not land: context canceled",
		errorf("apizee: a ticket fetch in flight did not land: %w", context.Canceled).Error(), "a cause without the prefix is quoted whole")
}

func TestJoinErrorsReadsThePrefixOnce(t *testing.T) {
	assert.NoError(t, joinErrors(nil, nil))
	assert.Same(t, ErrNotFound, joinErrors(nil, ErrNotFound, nil), "one error is itself")
	joined := joinErrors(ErrServer, nil, context.DeadlineExceeded)
	assert.Equal(t, "apizee: server error; context deadline exceeded", joined.Error())
	assert.ErrorIs(t, joined, ErrServer)
	assert.ErrorIs(t, joined, context.DeadlineExceeded)
}
