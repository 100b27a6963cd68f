package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command line with no account in the environment unless the
// test set one.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	r := result{code, stdout.String(), stderr.String()}
	assertNoSecret(t, r)
	return r
}

// noAccount clears the APIZEE_* variables for the test.
func noAccount(t *testing.T) {
	for _, name := range []string{apizee.EnvBaseURL, apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken, apizee.EnvEnterpriseID} {
		t.Setenv(name, "")
	}
}

// account points the environment at srv, as a user points it at their
// account, so that the test can seed data and inject faults.
func account(t *testing.T, srv *apizeetest.Server) {
	noAccount(t)
	t.Setenv(apizee.EnvBaseURL, srv.URL)
	t.Setenv(apizee.EnvUsername, srv.Username)
	t.Setenv(apizee.EnvPassword, srv.Password)
}

var secretValue = regexp.MustCompile(`(?i)\b(?:pwd|access_token|password|token)=([^&\s"\\,]+)`)

// assertNoSecret checks that every secret parameter printed is masked, and
// that neither the fake's password nor a JWT appears.
func assertNoSecret(t *testing.T, r result) {
	t.Helper()
	for _, out := range []string{r.stdout, r.stderr} {
		for _, m := range secretValue.FindAllStringSubmatch(out, -1) {
			assert.Equal(t, "REDACTED", m[1], "secret printed: %s", m[0])
		}
		assert.NotContains(t, out, apizeetest.DefaultPassword)
		assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]{4,}\.`, out)
	}
}

// jsonLines decodes stdout as JSON Lines.
func jsonLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var objects []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var obj map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &obj), "line %q", sc.Text())
		objects = append(objects, obj)
	}
	return objects
}

func TestFakeFlagWithOneOrTwoDashes(t *testing.T) {
	noAccount(t)
	for _, flag := range []string{"-fake", "--fake"} {
		r := cli(t, flag, "tickets", "get", "82070")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, float64(82070), jsonLines(t, r.stdout)[0]["id"])
	}
}

func TestEveryCommandAgainstTheFake(t *testing.T) {
	noAccount(t)
	tests := []struct {
		args  []string
		lines int // JSON lines expected on stdout; -1: at least one
	}{
		{[]string{"tickets", "create", "--phone", "+33612345678", "--reference", "case-1", "--sso", "--invite"}, 1},
		{[]string{"tickets", "create", "--email", "customer@example.com"}, 1},
		{[]string{"tickets", "get", "663614"}, 1},
		{[]string{"tickets", "list"}, -1},
		{[]string{"tickets", "list", "--max", "1"}, 1},
		{[]string{"tickets", "find", "ref12345678"}, 1},
		{[]string{"media", "list", "--ticket", "663614"}, 2},
		{[]string{"media", "list", "--conference", "842341"}, -1},
		{[]string{"stats", "tickets", "--since", "2023-07-13", "--until", "2023-07-13"}, -1},
		{[]string{"conferences", "create", "--participant", "guest@example.com", "--name", "weekly", "--duration", "30m"}, 1},
		{[]string{"conferences", "get", "842199"}, 1},
		{[]string{"conferences", "list", "--search", "TEST"}, -1},
		{[]string{"conferences", "find", "TEST"}, 1},
		{[]string{"conferences", "join-url", "842199", "--participant-name", "Alice"}, 1},
		{[]string{"sessions", "list"}, -1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, append([]string{"-fake"}, tt.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			lines := jsonLines(t, r.stdout)
			if tt.lines < 0 {
				assert.NotEmpty(t, lines)
			} else {
				assert.Len(t, lines, tt.lines)
			}
		})
	}
}

// A list answer has no agent_url or button_id, in the fake as on Apizee:
// find completes the ticket with its own answer, list says where to look.
func TestTicketsFindPrintsWhatTheListLacks(t *testing.T) {
	noAccount(t)
	listed := cli(t, "-fake", "tickets", "list", "--reference", "ref12345678")
	require.Equal(t, exitOK, listed.code, listed.stderr)
	require.Len(t, jsonLines(t, listed.stdout), 1)
	assert.Zero(t, jsonLines(t, listed.stdout)[0]["button_id"], "the list answer has no button_id")

	found := cli(t, "-fake", "tickets", "find", "ref12345678")
	require.Equal(t, exitOK, found.code, found.stderr)
	ticket := jsonLines(t, found.stdout)[0]
	assert.Equal(t, float64(663614), ticket["id"])
	assert.Equal(t, float64(223), ticket["button_id"], "from GET /tickets/{id}")
	assert.Contains(t, ticket["agent_ticket_url"], "/entrypoint/223/tickets/663614")

	csv := cli(t, "-fake", "-o", "csv", "tickets", "find", "ref12345678")
	require.Equal(t, exitOK, csv.code, csv.stderr)
	assert.Contains(t, csv.stdout, "/entrypoint/223/tickets/663614", "the agent_ticket_url column")
}

func TestCreatedTicketSecretsAreMasked(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)

	r := cli(t, "tickets", "create", "--phone", "+33612345678", "--reference", "case-42", "--sso")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "access_token=REDACTED")
	assert.Contains(t, r.stdout, "pwd=REDACTED")

	// The real values, read with the SDK, appear nowhere.
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	ticket, err := client.Tickets.FindByReference(context.Background(), "case-42")
	require.NoError(t, err)
	for _, link := range []string{ticket.RequestorURL, ticket.SSOURL} {
		for _, m := range secretValue.FindAllStringSubmatch(link, -1) {
			assert.NotContains(t, r.stdout, m[1])
		}
	}
	assert.Equal(t, 1, srv.TicketsWithReference("case-42"))
}

func TestListStreamsPagesAsTheyArrive(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	srv.AddTickets(250, "bulk")

	// When the first line is written, the second page is made to fail: a
	// command that fetched every page before writing would not see it.
	out := &onFirstWrite{do: func() {
		srv.QueueFault(apizeetest.Fault{Method: "GET", Path: "/tickets", Status: 403})
	}}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"tickets", "list", "--reference", "bulk", "--page-size", "100"}, out, &stderr)

	assert.Equal(t, exitAPIError, code)
	assert.Len(t, jsonLines(t, out.String()), 100, "the first page is out before the second is asked for")
	assert.Contains(t, stderr.String(), "403")
}

func TestListReadsEveryPage(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	srv.AddTickets(250, "bulk")
	srv.ResetRequests()

	r := cli(t, "tickets", "list", "--reference", "bulk", "--page-size", "100")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, jsonLines(t, r.stdout), 250)
	assert.Equal(t, 3, srv.RequestCount("GET", "/tickets"), "250 tickets in pages of 100")
}

// onFirstWrite is a stdout that calls do at its first write. The buffer is
// not embedded: its WriteString would bypass Write.
type onFirstWrite struct {
	buf bytes.Buffer
	do  func()
}

func (w *onFirstWrite) Write(p []byte) (int, error) {
	if w.buf.Len() == 0 {
		w.do()
	}
	return w.buf.Write(p)
}

func (w *onFirstWrite) String() string { return w.buf.String() }

func TestListMaxStopsPaging(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	srv.AddTickets(250, "bulk")
	srv.ResetRequests()

	r := cli(t, "tickets", "list", "--reference", "bulk", "--page-size", "100", "--max", "150")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, jsonLines(t, r.stdout), 150)
	assert.Equal(t, 2, srv.RequestCount("GET", "/tickets"), "no third page")
}

// ticketHeader is the CSV header of tickets, and their JSON keys.
const ticketHeader = "id,state,reference,created,agent,name,phones,emails,status,agent_ticket_url," +
	"modified,start_time,end_time,subject,type,description,service_key,button_id,latitude,longitude," +
	"information_page_url,requestor_url,sso_url"

func TestCSVOutput(t *testing.T) {
	noAccount(t)
	tests := []struct {
		args   []string
		header string
	}{
		{[]string{"tickets", "list"}, ticketHeader},
		{[]string{"stats", "tickets", "--since", "2023-07-13", "--until", "2023-07-13"}, "id,reference,description,priority,requestor,contact,state,assigned_to,group,type,session_start,session_end,answered,invitations,email_invitations,sms_invitations,calls,call_duration_seconds,photos,videos,scans,agent,service,device,os,browser"},
		{[]string{"conferences", "list"}, "id,name,status,created,start_time,end_time,url,short_url,organizer,service_key,modified,room_name,sip_phone_number,sip_dtmf_code,moderator,created_by"},
		{[]string{"media", "list", "--ticket", "663614"}, "id,title,filename,content_type,media_type,status,size_bytes,created,url,local_filename,hash,description,source_type,owner,latitude,longitude"},
		{[]string{"sessions", "list"}, "id,type,start_time,end_time,billing_units,participants,organizer,service_key,duration_seconds,enterprise"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, append([]string{"-fake", "-o", "csv"}, tt.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
			require.NoError(t, err)
			require.NotEmpty(t, rows)
			assert.Equal(t, tt.header, strings.Join(rows[0], ","))
			assert.Greater(t, len(rows), 1, "rows under the header")
		})
	}
}

func TestStatsCSVHasTheSeededRow(t *testing.T) {
	noAccount(t)
	r := cli(t, "-fake", "-o", "csv", "stats", "tickets", "--since", "2023-07-13", "--until", "2023-07-13")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\n821793,")
}

func TestEmptyCSVListHasItsHeader(t *testing.T) {
	noAccount(t)
	r := cli(t, "-fake", "-o", "csv", "tickets", "list", "--reference", "no-such-reference")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, ticketHeader+"\n", r.stdout)
}

func TestExitCodes(t *testing.T) {
	noAccount(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string // in the error line
	}{
		{"ok", []string{"-fake", "tickets", "get", "82070"}, exitOK, ""},
		{"help", []string{"--help"}, exitOK, ""},
		{"not found", []string{"-fake", "tickets", "get", "999999"}, exitAPIError, "404"},
		{"media not on the ticket", []string{"-fake", "media", "download", "1", "--ticket", "663614"}, exitAPIError, "not found"},
		{"id not a number", []string{"-fake", "tickets", "get", "abc"}, exitUsage, `ticket id "abc" is not a number`},
		{"id not positive", []string{"-fake", "tickets", "get", "0"}, exitUsage, "invalid ID"},
		{"missing argument", []string{"-fake", "tickets", "get"}, exitUsage, "accepts 1 arg"},
		{"unknown command", []string{"-fake", "tickets", "lisst"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"-fake", "tickets", "list", "--bogus"}, exitUsage, "unknown flag"},
		{"bad date", []string{"-fake", "tickets", "list", "--since", "yesterday"}, exitUsage, "RFC 3339"},
		{"since after until", []string{"-fake", "tickets", "list", "--since", "2024-01-02", "--until", "2024-01-01"}, exitUsage, "Since"},
		{"bad output format", []string{"-fake", "-o", "xml", "tickets", "list"}, exitUsage, "json or csv"},
		{"no subcommand", []string{"-fake", "tickets"}, exitUsage, "choose a subcommand"},
		{"bad phone", []string{"-fake", "tickets", "create", "--phone", "0612345678"}, exitUsage, "Phone"},
		{"no customer", []string{"-fake", "tickets", "create"}, exitUsage, "Email"},
		{"meeting without participants", []string{"-fake", "conferences", "create"}, exitUsage, "Participants"},
		{"media of nothing", []string{"-fake", "media", "list"}, exitUsage, "ticket"},
		{"media of both", []string{"-fake", "media", "list", "--ticket", "1", "--conference", "2"}, exitUsage, "ticket"},
		{"no account", []string{"tickets", "list"}, exitUsage, "-fake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			if tt.code == exitOK {
				assert.Empty(t, r.stderr)
				return
			}
			assert.Empty(t, r.stdout)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one error line: %q", r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "apizee: "), r.stderr)
			assert.Contains(t, r.stderr, tt.msg)
		})
	}
}

func TestAPIAndNetworkErrorsExitOne(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)

	srv.QueueFault(apizeetest.Fault{Method: "GET", Path: "/tickets/82070", Status: 403})
	r := cli(t, "tickets", "get", "82070")
	assert.Equal(t, exitAPIError, r.code)
	assert.Contains(t, r.stderr, "403")

	// A create whose connection drops after the server processed it is not
	// retried (the ticket may exist): a network error.
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", DropAfterProcessing: true})
	r = cli(t, "tickets", "create", "--phone", "+33612345678")
	assert.Equal(t, exitAPIError, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)

	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/token", Status: 401})
	r = cli(t, "tickets", "list")
	assert.Equal(t, exitAPIError, r.code, "refused credentials are an API answer")
}

func TestCreateWithReferenceSurvivesALostAnswer(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", DropAfterProcessing: true})

	r := cli(t, "tickets", "create", "--phone", "+33612345678", "--reference", "case-7")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, srv.TicketsWithReference("case-7"), "CreateOnce found the ticket the lost answer named")
	assert.Equal(t, "case-7", jsonLines(t, r.stdout)[0]["reference"])
}

func TestDownloadToFile(t *testing.T) {
	noAccount(t)
	path := filepath.Join(t.TempDir(), "video.mp4")
	r := cli(t, "-fake", "media", "download", "1973404", "--ticket", "663614", "-f", path)
	require.Equal(t, exitOK, r.code, r.stderr)

	info, err := os.Stat(path)
	require.NoError(t, err)
	summary := jsonLines(t, r.stdout)
	require.Len(t, summary, 1)
	assert.Equal(t, float64(1973404), summary[0]["id"])
	assert.Equal(t, path, summary[0]["path"])
	assert.Equal(t, float64(info.Size()), summary[0]["bytes"])
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%x", sha256.Sum256(content)), summary[0]["sha256"])
	assert.Positive(t, info.Size())
	assert.Empty(t, r.stderr, "no progress bar when stderr is not a terminal")

	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no partial file left behind")
}

func TestDownloadToStdoutIsTheServedFile(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)
	mediaURL := srv.AddTicketMedia(663614, 300<<10)

	// The new media's id, from the list.
	r := cli(t, "media", "list", "--ticket", "663614")
	require.Equal(t, exitOK, r.code, r.stderr)
	var id string
	for _, m := range jsonLines(t, r.stdout) {
		if m["url"] == mediaURL {
			id = strconv.FormatFloat(m["id"].(float64), 'f', 0, 64)
		}
	}
	require.NotEmpty(t, id, "the added media is listed")

	r = cli(t, "media", "download", id, "--ticket", "663614", "-f", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	content, ok := srv.MediaContent(mediaURL)
	require.True(t, ok)
	want, err := io.ReadAll(content)
	require.NoError(t, err)
	assert.Equal(t, len(want), len(r.stdout))
	assert.True(t, bytes.Equal(want, []byte(r.stdout)), "the bytes served")
}

func TestDownloadShowsAProgressBarOnATerminal(t *testing.T) {
	noAccount(t)
	stderrIsTerminal := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = stderrIsTerminal })

	path := filepath.Join(t.TempDir(), "recording.mp4")
	r := cli(t, "-fake", "media", "download", "2343988", "--conference", "842341", "-f", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "media 2343988")
	assert.Contains(t, r.stderr, "100%", "the size is known: a bar up to 100%")
	assert.Len(t, jsonLines(t, r.stdout), 1, "stdout keeps only the result")

	// A ticket media has no size: a spinner with the bytes read.
	r = cli(t, "-fake", "media", "download", "1973404", "--ticket", "663614", "-f", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "media 1973404")
}

func TestSingleDashLongFlags(t *testing.T) {
	root := (&app{}).rootCommand()
	tests := []struct {
		name     string
		in, want []string
	}{
		{"a known long flag", []string{"-fake", "tickets", "list"}, []string{"--fake", "tickets", "list"}},
		{"with a value", []string{"tickets", "list", "-page-size=5", "-reference", "r"}, []string{"tickets", "list", "--page-size=5", "--reference", "r"}},
		{"shorthands stay", []string{"-o", "csv", "media", "download", "1", "-f", "-"}, []string{"-o", "csv", "media", "download", "1", "-f", "-"}},
		{"unknown names stay", []string{"-bogus"}, []string{"-bogus"}},
		{"nothing after --", []string{"tickets", "find", "--", "-fake"}, []string{"tickets", "find", "--", "-fake"}},
		{"values that are not flags", []string{"tickets", "create", "--phone", "+33612345678"}, []string{"tickets", "create", "--phone", "+33612345678"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, singleDashLongFlags(root, tt.in))
		})
	}
}

func TestCreateSendsWhatTheFlagsSay(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)

	r := cli(t, "tickets", "create", "--agent", "agent2@example.com", "--email", "a@example.com,b@example.com",
		"--invite", "--language", "fr", "--param", "service_key=abc")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = cli(t, "conferences", "create", "--participant", "a@example.com", "--participant", "+33612345678",
		"--invite=false", "--duration", "45m", "--password", "12#")
	require.Equal(t, exitOK, r.code, r.stderr)

	var ticket, conference url.Values
	for _, req := range srv.Requests() {
		switch {
		case req.Method == "POST" && req.Path == "/tickets":
			ticket = req.Query
		case req.Method == "POST" && req.Path == "/conferences":
			conference = req.Query
		}
	}
	require.NotNil(t, ticket)
	assert.Equal(t, "agent2@example.com", ticket.Get("agent"))
	assert.Equal(t, "a@example.com,b@example.com", ticket.Get("email"))
	assert.Equal(t, "1", ticket.Get("invite"))
	assert.Equal(t, "fr", ticket.Get("language"))
	assert.Equal(t, "abc", ticket.Get("service_key"), "--param is passed through")
	require.NotNil(t, conference)
	assert.Equal(t, "a@example.com,+33612345678", conference.Get("participants"))
	assert.Equal(t, "false", conference.Get("invite"), "--invite=false is sent")
	assert.Equal(t, "45", conference.Get("duration"))
}

func TestCreateAgentDefaultsToTheAccount(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	account(t, srv)

	r := cli(t, "tickets", "create", "--phone", "+33612345678")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, srv.Username, jsonLines(t, r.stdout)[0]["agent"])
}

func TestBadParamIsAUsageError(t *testing.T) {
	noAccount(t)
	r := cli(t, "-fake", "tickets", "create", "--phone", "+33612345678", "--param", "novalue")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "want name=value")
}
