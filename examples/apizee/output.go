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

// The CLI's one dialect: every command that prints data prints records, one
// JSON object per line or one CSV row under a header, and both come from the
// same columns, so the JSON keys are the CSV header (snake_case, in the same
// order). A quantity's column names its unit (call_duration_seconds,
// size_bytes), times are RFC 3339 in UTC, and an absent value is null in JSON
// and an empty cell in CSV.

// field is one value of a record, as a CSV cell and as a JSON value.
type field struct {
	cell string
	json any
}

func text(s string) field { return field{s, s} }

func number[N int | int64](n N) field { return field{strconv.FormatInt(int64(n), 10), n} }

func boolean(b bool) field { return field{strconv.FormatBool(b), b} }

// timestamp is t in RFC 3339, UTC; absent when zero.
func timestamp(t time.Time) field {
	if t.IsZero() {
		return field{"", nil}
	}
	s := t.UTC().Format(time.RFC3339)
	return field{s, s}
}

// seconds is d in whole seconds.
func seconds(d time.Duration) field { return number(int64(d / time.Second)) }

// list is values joined with ";" in CSV, an array in JSON.
func list(values []string) field {
	if values == nil {
		values = []string{}
	}
	return field{strings.Join(values, ";"), values}
}

// latitude and longitude are a point's coordinates; absent without a point.
func latitude(p *apizee.GeoPoint) field {
	if p == nil {
		return field{"", nil}
	}
	return field{strconv.FormatFloat(p.Lat, 'f', -1, 64), p.Lat}
}

func longitude(p *apizee.GeoPoint) field {
	if p == nil {
		return field{"", nil}
	}
	return field{strconv.FormatFloat(p.Lng, 'f', -1, 64), p.Lng}
}

// partyName is the name of a party; "" without one.
func partyName(p *apizee.Party) field {
	if p == nil {
		return text("")
	}
	return text(p.Name)
}

// column is one column of the records of a T.
type column[T any] struct {
	name  string
	value func(*T) field
}

// records writes T values as they come, in the format of -o. Every line is
// written at once, so that a script reading the output sees each page as it
// arrives. Secrets are masked.
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
		return r.writeJSON(item)
	}
	if err := r.header(); err != nil {
		return err
	}
	row := make([]string, len(r.columns))
	for i, c := range r.columns {
		row[i] = secrets.Mask(c.value(item).cell)
	}
	return r.flush(row)
}

// writeJSON writes item as one JSON object, keys in column order. HTML
// escaping is off so that URLs stay readable (& rather than \u0026) and
// their secret parameters are found.
func (r *records[T]) writeJSON(item *T) error {
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	line.WriteByte('{')
	for i, c := range r.columns {
		if i > 0 {
			line.WriteByte(',')
		}
		if err := enc.Encode(c.name); err != nil {
			return err
		}
		line.Truncate(line.Len() - 1) // Encode ends each value with a newline
		line.WriteByte(':')
		if err := enc.Encode(c.value(item).json); err != nil {
			return err
		}
		line.Truncate(line.Len() - 1)
	}
	line.WriteString("}\n")
	_, err := io.WriteString(r.out, secrets.Mask(line.String()))
	return err
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
