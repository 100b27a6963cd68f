package apizee

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Checks shared by the services' validation: each returns a
// *ValidationError naming the field, before any request is sent.

// isInternationalPhone reports whether s is + and 8 to 15 digits (E.164
// without separators): `^\+[0-9]{8,15}$`, checked without a regular
// expression because every create call checks it (FuzzIsInternationalPhone
// holds it to the expression).
func isInternationalPhone(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isEmail reports whether s is a bare email address (no display name, no
// angle brackets), as the API's contact parameters take it.
func isEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && addr.Name == ""
}

// checkID refuses ids the API cannot have.
func checkID(field string, id int64) error {
	if id <= 0 {
		return invalid(field, "must be positive, got %d", id)
	}
	return nil
}

// hasControl reports whether s holds a control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// checkExact refuses what a server cannot echo byte for byte in a value the
// SDK later matches exactly (a reference: FindByReference and CreateOnce; a
// room name: FindByName): invalid UTF-8 comes back from a JSON API as U+FFFD,
// and a control character may be stripped or end the value (NUL). Refusing
// it beats CreateOnce never finding the ticket it created, and creating more.
func checkExact(field, value string) error {
	switch {
	case !utf8.ValidString(value):
		return invalid(field, "is not valid UTF-8")
	case hasControl(value):
		return invalid(field, "contains a control character")
	}
	return nil
}

// idPath returns prefix followed by id ("/tickets/82070") in one
// allocation: strconv.FormatInt and a concatenation would take two, on
// every Get.
func idPath(prefix string, id int64) string {
	var buf [48]byte
	return string(strconv.AppendInt(append(buf[:0], prefix...), id, 10))
}
