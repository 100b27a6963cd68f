package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/examples/internal/secrets"
)

// column is one CSV column of a T.
type column[T any] struct {
	name  string
	value func(*T) string
}

// records writes T values as they come: one JSON object per line, or CSV
// rows under a header. Every line is written at once, so that a script
// reading the output sees each page as it arrives. Secrets are masked.
type records[T any] struct {
	format  string
	out     io.Writer
	columns []column[T]
	csv     *csv.Writer // created with the first row or at close
}

func newRecords[T any](a *app, columns []column[T]) *records[T] {
	return &records[T]{format: a.format, out: a.stdout, columns: columns}
}

func (r *records[T]) write(item *T) error {
	if r.format != "csv" {
		return writeJSON(r.out, item)
	}
	if err := r.header(); err != nil {
		return err
	}
	row := make([]string, len(r.columns))
	for i, c := range r.columns {
		row[i] = secrets.Mask(c.value(item))
	}
	return r.flush(row)
}

// close writes the CSV header of an empty list.
func (r *records[T]) close() error {
	if r.format != "csv" {
		return nil
	}
	return r.header()
}

func (r *records[T]) header() error {
	if r.csv != nil {
		return nil
	}
	r.csv = csv.NewWriter(r.out)
	names := make([]string, len(r.columns))
	for i, c := range r.columns {
		names[i] = c.name
	}
	return r.flush(names)
}

func (r *records[T]) flush(row []string) error {
	if err := r.csv.Write(row); err != nil {
		return err
	}
	r.csv.Flush()
	return r.csv.Error()
}

// stream writes the items of an SDK All iterator as they come, at most max
// of them when max > 0. Breaking out of the loop stops the paging.
func stream[T any](r *records[T], items iter.Seq2[*T, error], max int) error {
	n := 0
	for item, err := range items {
		if err != nil {
			return err
		}
		if err := r.write(item); err != nil {
			return err
		}
		if n++; max > 0 && n >= max {
			break
		}
	}
	return r.close()
}

// writeJSON writes v as one line of JSON with its secrets masked. HTML
// escaping is off so that URLs stay readable (& rather than \u0026) and
// their secret parameters are found. A ticket marshals with its links masked
// whole; it is written as an UnmaskedTicket and masked here instead, so that
// its links keep their shape and only their secret parameters are hidden.
func writeJSON(w io.Writer, v any) error {
	if t, ok := v.(*apizee.Ticket); ok {
		v = (*apizee.UnmaskedTicket)(t)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, secrets.Mask(buf.String()))
	return err
}

// CSV cell formats.

func cellTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func cellInt[N int | int64](n N) string { return strconv.FormatInt(int64(n), 10) }

func cellList(values []string) string { return strings.Join(values, ";") }
