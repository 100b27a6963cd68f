package apizeetest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

// The errors of the fake start with "apizeetest: " once, like those of the
// module's other packages.
func TestErrorTextsStartWithThePrefixOnce(t *testing.T) {
	srv := apizeetest.NewServer()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, ended := srv.WaitWebhooks(ctx, 1)
	srv.Close()
	_, closed := srv.WaitWebhooks(t.Context(), 1)

	for _, err := range []error{ended, closed} {
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "apizeetest: "), err.Error())
		for _, prefix := range []string{"apizee:", "webhook:", "apizeeredis:", "apizeetest:"} {
			assert.LessOrEqual(t, strings.Count(err.Error(), prefix), 1, "%q repeats %q", err.Error(), prefix)
		}
	}
	assert.ErrorIs(t, ended, context.Canceled)
}
