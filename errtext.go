package apizee

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// errPrefix starts the text of every error this package returns, once: an
// error that quotes another (its cause) quotes it without its prefix, through
// errorf or causeText.
const errPrefix = "apizee: "

// errorf is fmt.Errorf for the SDK's own errors: format starts with
// errPrefix, and an error among args is quoted by causeText, so that a
// wrapped sentinel or SDK error does not repeat the prefix
// (`apizee: no ticket with reference "x": not found`). The result wraps the
// %w arguments as fmt.Errorf's would, for errors.Is, errors.As and
// errors.Unwrap.
func errorf(format string, args ...any) error {
	wrapping := fmt.Errorf(format, args...)
	quoted := make([]any, len(args))
	for i, a := range args {
		if err, ok := a.(error); ok {
			a = causeText(err)
		}
		quoted[i] = a
	}
	text := fmt.Sprintf(strings.ReplaceAll(format, "%w", "%s"), quoted...)
	if multi, ok := wrapping.(interface{ Unwrap() []error }); ok {
		return &wrapErrors{text: text, causes: multi.Unwrap()}
	}
	return &wrapError{text: text, cause: errors.Unwrap(wrapping)}
}

// causeText is the text of err as an error of this package quotes it: without
// a leading errPrefix. fmt prints it, so that a nil pointer in an error
// interface quotes as fmt shows it rather than panicking.
func causeText(err error) string {
	return strings.TrimPrefix(fmt.Sprint(err), errPrefix)
}

// wrapError is an error of errorf with one cause (or none).
type wrapError struct {
	text  string
	cause error
}

func (e *wrapError) Error() string { return e.text }
func (e *wrapError) Unwrap() error { return e.cause }

// wrapErrors is an error of errorf with several causes.
type wrapErrors struct {
	text   string
	causes []error
}

func (e *wrapErrors) Error() string   { return e.text }
func (e *wrapErrors) Unwrap() []error { return e.causes }

// joinErrors is errors.Join for the SDK's own errors: nil when every err is
// nil, the one error when only one is not, else an error that wraps them all
// and reads errPrefix once, then their texts (by causeText) separated by "; ".
func joinErrors(errs ...error) error {
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	texts := make([]string, len(errs))
	for i, err := range errs {
		texts[i] = causeText(err)
	}
	return &wrapErrors{text: errPrefix + strings.Join(texts, "; "), causes: errs}
}
