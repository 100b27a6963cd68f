package secrets

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMask(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nothing secret", "https://cloud.apizee.com/entrypoint/223/tickets/82070", "https://cloud.apizee.com/entrypoint/223/tickets/82070"},
		{"sso link", "https://cloud.apizee.com?access_token=eyJ0.eyJp.L4_x", "https://cloud.apizee.com?access_token=REDACTED"},
		{"customer link keeps other parameters", "https://cloud.apizee.com/visio/?room=7&pwd=9876&lang=fr", "https://cloud.apizee.com/visio/?room=7&pwd=REDACTED&lang=fr"},
		{"inside JSON", `{"SSOURL":"https://x?access_token=abc","RequestorURL":"https://x?pwd=1"}`, `{"SSOURL":"https://x?access_token=REDACTED","RequestorURL":"https://x?pwd=REDACTED"}`},
		{"HTML-escaped JSON stops at the escape", `"https://x?pwd=1\u0026a=b"`, `"https://x?pwd=REDACTED\u0026a=b"`},
		{"case-insensitive", "PWD=1&Access_Token=2", "PWD=REDACTED&Access_Token=REDACTED"},
		{"a fragment is not part of the value", "https://x/?pwd=1#room", "https://x/?pwd=REDACTED#room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Mask(tt.in))
		})
	}
}
