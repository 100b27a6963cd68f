package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// released are the CSV columns (and the keys of the one-object outputs) of
// the CLI before v0.2.0 (commit 6002dfc), by command.
var released = map[string][]string{
	"tickets":          {"id", "state", "reference", "created", "agent", "name", "phones", "emails", "status", "agent_ticket_url"},
	"conferences":      {"id", "name", "status", "created", "start_time", "end_time", "url", "short_url", "organizer", "service_key"},
	"conferences join": {"id", "join_url", "iframe"},
	"media list":       {"id", "title", "filename", "content_type", "media_type", "status", "size", "created", "url"},
	"media download":   {"id", "file", "bytes"},
	"sessions list":    {"id", "type", "start_time", "end_time", "billing_duration", "participants", "organizer", "service_key"},
	"stats tickets": {"id", "ref", "description", "priority", "requester", "contact", "state", "assigned_to", "group", "type",
		"session_start", "session_end", "answered", "invitations", "email_invitations", "sms_invitations", "calls",
		"call_duration_seconds", "photos", "videos", "scans", "login", "service", "device", "os", "browser"},
}

// A column a script read before v0.2.0 and that the CLI no longer prints is
// a rename, which the CHANGELOG lists (`old`): a user upgrading learns it
// there, not from an empty cell.
func TestChangelogListsEveryRenamedColumn(t *testing.T) {
	changelog, err := os.ReadFile(filepath.Join("..", "..", "CHANGELOG.md"))
	if os.IsNotExist(err) {
		t.Skip("CHANGELOG.md is not beside this module (a module cache): nothing to check")
	}
	require.NoError(t, err)
	current := map[string][]string{
		"tickets":          names(ticketColumns),
		"conferences":      names(conferenceColumns),
		"conferences join": names(joinURLColumns),
		"media list":       names(mediaColumns),
		"media download":   names(downloadColumns),
		"sessions list":    names(sessionColumns),
		"stats tickets":    names(ticketStatColumns),
	}
	var renameRows []string // the rows of the CHANGELOG's rename tables about the CLI
	for line := range strings.SplitSeq(string(changelog), "\n") {
		if strings.HasPrefix(line, "| CLI") {
			renameRows = append(renameRows, line)
		}
	}
	for command, columns := range released {
		for _, old := range columns {
			if slices.Contains(current[command], old) {
				continue
			}
			listed := slices.ContainsFunc(renameRows, func(row string) bool {
				return strings.Contains(row, "`"+command+"`") && strings.Contains(row, "`"+old+"`")
			})
			assert.True(t, listed, "%s: the column %q is gone: no row | CLI ... of CHANGELOG.md names `%s` and `%s`", command, old, command, old)
		}
	}
}

func names[T any](columns []column[T]) []string {
	var out []string
	for _, c := range columns {
		out = append(out, c.name)
	}
	return out
}
