package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// TestJSONKeysAreTheCSVHeader runs every command that prints data in both
// formats: each JSON line has the CSV header's keys, in its order, and each
// value is the CSV cell of its row. A new command fails
// TestEveryDataCommandSpeaksTheDialect until it has a line here.
func TestJSONKeysAreTheCSVHeader(t *testing.T) {
	srv := apizeetest.NewServer() // one server for both formats: the same data
	defer srv.Close()
	account(t, srv)
	dir := t.TempDir()
	for _, args := range dataCommands(dir) {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			asJSON := cli(t, args...)
			require.Equal(t, exitOK, asJSON.code, asJSON.stderr)
			asCSV := cli(t, append([]string{"-o", "csv"}, args...)...)
			require.Equal(t, exitOK, asCSV.code, asCSV.stderr)

			rows, err := csv.NewReader(strings.NewReader(asCSV.stdout)).ReadAll()
			require.NoError(t, err)
			require.NotEmpty(t, rows, "a header")
			header, rows := rows[0], rows[1:]
			lines := strings.Split(strings.TrimSuffix(asJSON.stdout, "\n"), "\n")
			require.Len(t, lines, len(rows), "as many JSON lines as CSV rows")
			require.NotEmpty(t, rows, "the fake has data for it")
			for i, line := range lines {
				keys, values := orderedObject(t, line)
				assert.Equal(t, header, keys, "JSON keys == CSV header")
				if args[1] != "create" { // two creates make two objects
					assert.Equal(t, rows[i], values, "JSON values == CSV cells")
				}
				assertSnakeCaseUTC(t, keys, values)
			}
		})
	}
}

// dataCommands are the commands that print records, with arguments the
// seeded fake answers with data.
func dataCommands(dir string) [][]string {
	return [][]string{
		{"tickets", "create", "--phone", "+33612345678", "--reference", "case-1", "--sso"},
		{"tickets", "get", "663614"},
		{"tickets", "list"},
		{"tickets", "find", "ref12345678"},
		{"media", "list", "--ticket", "663614"},
		{"media", "list", "--conference", "842341"},
		{"media", "download", "2343988", "--conference", "842341", "-f", dir},
		{"stats", "tickets"},
		{"stats", "tickets", "--since", "2023-07-13", "--until", "2023-07-13"},
		{"conferences", "create", "--participant", "guest@example.com", "--name", "weekly", "--duration", "30m"},
		{"conferences", "get", "842199"},
		{"conferences", "list"},
		{"conferences", "find", "TEST"},
		{"conferences", "join-url", "842199", "--participant-name", "Alice"},
		{"sessions", "list"},
	}
}

// TestEveryDataCommandSpeaksTheDialect checks that dataCommands covers every
// command but the ones that print no records: "media download -f -" writes
// the file itself, "fake serve" shell lines; and "webhook listen", which
// serves until interrupted, has TestWebhookListenSpeaksTheDialect.
func TestEveryDataCommandSpeaksTheDialect(t *testing.T) {
	covered := map[string]bool{"fake serve": true, "webhook listen": true}
	for _, args := range dataCommands(t.TempDir()) {
		covered[commandPath(t, args)] = true
	}
	for _, leaf := range leafCommands((&app{}).rootCommand()) {
		assert.True(t, covered[leaf], "TestJSONKeysAreTheCSVHeader does not run %q", leaf)
	}
}

// orderedObject reads a JSON object's keys in order, and its values as CSV
// cells: numbers as written, null as "", lists joined with ";".
func orderedObject(t *testing.T, line string) (keys, cells []string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok, line)
	for dec.More() {
		key, err := dec.Token()
		require.NoError(t, err)
		var value any
		require.NoError(t, dec.Decode(&value))
		keys = append(keys, key.(string))
		cells = append(cells, cellOf(t, value))
	}
	return keys, cells
}

func cellOf(t *testing.T, value any) string {
	switch v := value.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			items[i] = cellOf(t, item)
		}
		return strings.Join(items, ";")
	}
	t.Errorf("a JSON value of type %T: %v", value, value)
	return ""
}

var (
	snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	utcTime   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// timeColumns are the columns that hold a time.
var timeColumns = map[string]bool{"time": true, "created": true, "modified": true, "start_time": true, "end_time": true, "session_start": true, "session_end": true}

func assertSnakeCaseUTC(t *testing.T, keys, cells []string) {
	t.Helper()
	for i, key := range keys {
		assert.Regexp(t, snakeCase, key)
		if timeColumns[key] && cells[i] != "" {
			assert.Regexp(t, utcTime, cells[i], key)
		}
	}
}

func TestFieldFormats(t *testing.T) {
	paris := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name  string
		field field
		cell  string
		json  string
	}{
		{"time in UTC", timestamp(time.Date(2023, 7, 13, 20, 3, 13, 0, paris)), "2023-07-13T18:03:13Z", `"2023-07-13T18:03:13Z"`},
		{"no time", timestamp(time.Time{}), "", "null"},
		{"seconds", seconds(5*time.Minute + 35*time.Second + 900*time.Millisecond), "335", "335"},
		{"list", list([]string{"+33612345678", "+33698765432"}), "+33612345678;+33698765432", `["+33612345678","+33698765432"]`},
		{"empty list", list(nil), "", "[]"},
		{"boolean", boolean(true), "true", "true"},
		{"no point", latitude(nil), "", "null"},
		{"a point", longitude(&apizee.GeoPoint{Lat: 48.7, Lng: -3.5149756}), "-3.5149756", "-3.5149756"},
		{"no party", partyName(nil), "", `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.cell, tt.field.cell)
			got, err := json.Marshal(tt.field.json)
			require.NoError(t, err)
			assert.Equal(t, tt.json, string(got))
		})
	}
}

func TestJSONLinesKeepTheColumnOrderAndURLs(t *testing.T) {
	var out bytes.Buffer
	r := &records[joinURL]{format: "json", out: &out, columns: joinURLColumns}
	require.NoError(t, r.write(&joinURL{7, "https://x/?a=1&b=2", `<iframe src="https://x">`}))
	assert.Equal(t, `{"id":7,"join_url":"https://x/?a=1&b=2","iframe":"<iframe src=\"https://x\">"}`+"\n", out.String())
}

func TestStatsTicketsOfTodayShowTheSeededRow(t *testing.T) {
	noAccount(t)
	r := cli(t, "-fake", "stats", "tickets")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := jsonLines(t, r.stdout)
	require.NotEmpty(t, lines, "-fake stats tickets shows data")
	today := time.Now().UTC().Format(time.DateOnly)
	for _, row := range lines {
		assert.True(t, strings.HasPrefix(row["session_start"].(string), today), "a row of today, UTC: %v", row["session_start"])
	}
}

func TestDurationsAreSeconds(t *testing.T) {
	noAccount(t)
	r := cli(t, "-fake", "stats", "tickets", "--since", "2023-07-13", "--until", "2023-07-13")
	require.Equal(t, exitOK, r.code, r.stderr)
	row := jsonLines(t, r.stdout)[0]
	assert.Equal(t, float64(821793), row["id"])
	assert.Equal(t, float64(335), row["call_duration_seconds"], "5m35s")
	assert.Equal(t, false, row["answered"])
	assert.Equal(t, "2023-07-13T18:03:13Z", row["session_start"])

	r = cli(t, "-fake", "sessions", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	var seen bool
	for _, s := range jsonLines(t, r.stdout) {
		if s["id"] == "1057a6af-eb9e-4730-b570-b0df1cfb" {
			seen = true
			assert.Equal(t, float64(68), s["duration_seconds"], "16:23:26 to 16:24:34")
			assert.Equal(t, float64(5), s["billing_units"], "as the API reports it")
		}
	}
	assert.True(t, seen, "the guide's session")
}

func TestDownloadNamesTheFileSafely(t *testing.T) {
	noAccount(t)
	t.Chdir(t.TempDir())

	// A ticket media has a title and a type, no file name.
	r := cli(t, "-fake", "media", "download", "1973404", "--ticket", "663614")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "ysExSVPf-2552-477.mp4", jsonLines(t, r.stdout)[0]["path"])
	assert.FileExists(t, "ysExSVPf-2552-477.mp4")

	// Into a directory, under the same name.
	require.NoError(t, os.Mkdir("out", 0o755))
	r = cli(t, "-fake", "media", "download", "1973403", "--ticket", "663614", "-f", "out")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, filepath.Join("out", "diag_snapshot_1677103206155.jpg"), jsonLines(t, r.stdout)[0]["path"])
	assert.FileExists(t, filepath.Join("out", "diag_snapshot_1677103206155.jpg"))
}

// A server that names its media like a path gets a file in the directory
// asked for, nowhere else.
func TestDownloadOfAHostileNameStaysInTheDirectory(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	mediaURL := srv.AddTicketMedia(663614, 1000)
	root := t.TempDir()
	work := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(work, 0o755))
	t.Chdir(work)

	for _, hostile := range []string{"../../evil", "/tmp/evil", `..\..\windows`, "..", ".bashrc", "CON"} {
		t.Run(hostile, func(t *testing.T) {
			list, err := json.Marshal(map[string]any{"limit": 100, "offset": 0, "count": 1, "medias": []any{
				map[string]any{"id": 5, "title": hostile, "type": "video/mp4", "url": mediaURL},
			}})
			require.NoError(t, err)
			srv.QueueFault(apizeetest.Fault{Method: "GET", Path: "/enterprises/1/tickets/663614/medias", Status: 200, Body: string(list)})

			r := cli(t, "media", "download", "5", "--ticket", "663614")
			require.Equal(t, exitOK, r.code, r.stderr)
			path := jsonLines(t, r.stdout)[0]["path"].(string)
			assert.Equal(t, path, filepath.Base(path), "a name in the current directory")
			assert.FileExists(t, filepath.Join(work, path))
		})
	}
	var outside []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Dir(p) != work {
			outside = append(outside, p)
		}
		return err
	}))
	assert.Empty(t, outside, "no file outside the working directory")
	entries, err := os.ReadDir(work)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"evil.mp4", "windows.mp4", "tmp_evil.mp4", "media-5.mp4", "bashrc.mp4", "_CON.mp4"}, names)
}
