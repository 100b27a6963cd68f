package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// timeFlag is a time flag that takes RFC 3339 ("2023-07-11T00:00:00Z") or a
// date ("2023-07-11", midnight UTC).
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(s string) error {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		*f.t = t
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("%q is neither RFC 3339 (2023-07-11T00:00:00Z) nor a date (2023-07-11)", s)
	}
	*f.t = t
	return nil
}

func (f timeFlag) Type() string { return "time" }

// timeRangeFlags adds --since and --until.
func timeRangeFlags(fs *pflag.FlagSet, since, until *time.Time, what string) {
	fs.Var(timeFlag{since}, "since", what+" from (RFC 3339 or YYYY-MM-DD)")
	fs.Var(timeFlag{until}, "until", what+" until (RFC 3339 or YYYY-MM-DD)")
}

// parseID reads an id argument. Whether it is positive is the SDK's check.
func parseID(name, arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, usageError{fmt.Errorf("%s %q is not a number", name, arg)}
	}
	return id, nil
}

// pagingFlags adds --page-size, --offset and --max.
func pagingFlags(fs *pflag.FlagSet, pageSize, offset, max *int) {
	fs.IntVar(pageSize, "page-size", 0, "items per request (default: the SDK's 100)")
	fs.IntVar(offset, "offset", 0, "skip this many items")
	fs.IntVar(max, "max", 0, "stop after this many items (default: all)")
}
