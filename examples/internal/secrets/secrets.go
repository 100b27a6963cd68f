// Package secrets masks the secrets Apizee puts in URLs before the example
// programs print them: the customer link carries the conversation password
// (pwd=) and the agent's single-sign-on link an access token (access_token=).
package secrets

import "regexp"

// Masked replaces a secret value.
const Masked = "REDACTED"

// secretParam matches name=value pairs whose value is a secret, in a URL, a
// form or any text (JSON included, as long as it is written without HTML
// escaping, so that & stays &).
var secretParam = regexp.MustCompile(`(?i)\b(pwd|password|access_token|token|assertion)=[^&#"'\s\\<>]+`)

// Mask returns s with the value of every secret parameter replaced by Masked.
func Mask(s string) string {
	return secretParam.ReplaceAllString(s, "${1}="+Masked)
}
