// Command apizee calls the Apizee API from scripts: one subcommand per SDK
// call, JSON Lines out (lists streamed page by page), or the same records as
// CSV with -o csv (the CSV header is the JSON keys, snake_case; times in
// RFC 3339 UTC; durations in seconds), one error line on stderr, and an exit
// code a script can branch on: 0 ok, 1 API or network error, 2 bad usage or
// input.
//
// It reads the account from the environment, like apizee.NewClientFromEnv
// (APIZEE_USERNAME and APIZEE_PASSWORD, or APIZEE_TOKEN; APIZEE_BASE_URL,
// APIZEE_ENTERPRISE_ID), or runs against an in-process fake server with -fake:
//
//	go run ./examples/apizee -fake tickets list
//	go run ./examples/apizee -fake tickets create --phone +33612345678 --reference case-4711 --sso
//	go run ./examples/apizee -fake -o csv stats tickets --since 2023-07-01 --until 2023-07-31
//	go run ./examples/apizee -fake media download 1973404 --ticket 663614
//
// "apizee fake serve" runs that fake as a process, prints the APIZEE_*
// environment that points at it, and serves until interrupted, so that
// several commands and your own program share one fake:
//
//	go run ./examples/apizee fake serve --addr 127.0.0.1:8089
//
// "apizee webhook listen" receives Apizee's webhooks (no account needed) and
// prints each verified event as a JSON line:
//
//	go run ./examples/apizee webhook listen --addr :8080 --header-secret X-Webhook-Secret="$WEBHOOK_SECRET"
//
// Secrets (the customer link's pwd=, the SSO link's access_token=) are
// masked in everything it prints.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secrets"
)

// Exit codes.
const (
	exitOK       = 0
	exitAPIError = 1 // the API answered an error, or could not be reached
	exitUsage    = 2 // bad command line or input refused before any request
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(singleDashLongFlags(root, args))
	root.SetOut(stdout)
	root.SetErr(stderr)

	err := root.ExecuteContext(ctx)
	a.close(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, oneLine(err))
	if a.started && !isUsage(err) {
		return exitAPIError
	}
	return exitUsage
}

// app holds what the commands share: the outputs, the global flags and the
// client, built once the flags are parsed.
type app struct {
	stdout, stderr io.Writer
	fake           bool
	format         string // "json" or "csv"

	client *apizee.Client
	server *apizeetest.Server // with -fake
	// started is set once a command has connected and starts its own work:
	// an error before it (flags, arguments, configuration) is a usage error.
	started bool
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "apizee",
		Short: "Call the Apizee API from scripts",
		Long: `Call the Apizee API from scripts.

The account comes from the environment: APIZEE_USERNAME and APIZEE_PASSWORD
(or APIZEE_TOKEN), and optionally APIZEE_BASE_URL and APIZEE_ENTERPRISE_ID.
With -fake it runs against an in-process fake Apizee server with sample data.

Output is JSON Lines, one object per line, streamed as pages arrive; -o csv
writes the same records as CSV, whose header is the JSON keys (snake_case).
Times are RFC 3339 in UTC; a quantity's key names its unit
(call_duration_seconds, size_bytes). The secrets in links (the pwd and
access_token parameters) are masked.
"apizee fake serve" runs the fake as a process that several commands share.
Exit codes: 0 ok, 1 API or network error, 2 bad usage or invalid input.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          chooseSubcommand,
	}
	root.PersistentFlags().BoolVar(&a.fake, "fake", false, "run against an in-process fake Apizee server (apizeetest)")
	root.PersistentFlags().StringVarP(&a.format, "output", "o", "json", "output format: json or csv")
	root.AddCommand(a.ticketsCommand(), a.mediaCommand(), a.statsCommand(), a.conferencesCommand(), a.sessionsCommand(),
		a.webhookCommand())
	root.AddCommand(a.fakeCommand())
	return root
}

// connect builds the client once the flags are known.
func (a *app) connect() error {
	if a.format != "json" && a.format != "csv" {
		return fmt.Errorf("-o %q: want json or csv", a.format)
	}
	opts := []apizee.Option{apizee.WithUserAgent("apizee-cli")}
	var err error
	if a.fake {
		a.server = apizeetest.NewServer()
		a.client, err = apizee.NewClient(append(opts, apizee.WithBaseURL(a.server.URL),
			apizee.WithCredentials(a.server.Username, a.server.Password))...)
	} else {
		a.client, err = apizee.NewClientFromEnv(opts...)
	}
	var invalid *apizee.ValidationError
	if errors.As(err, &invalid) && invalid.Field == "Credentials" {
		// The SDK's reason names Go options; a shell user sets variables.
		invalid.Reason = fmt.Sprintf("no account configured: set %s and %s, or %s; or pass -fake",
			apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken)
	}
	return err
}

// close revokes the token the client fetched and stops the fake server.
func (a *app) close(ctx context.Context) {
	if a.client != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = a.client.Close(ctx) // the token expires anyway; the command's own result is what matters
	}
	if a.server != nil {
		a.server.Close()
	}
}

// command returns a leaf command: once cobra has checked its flags and
// arguments, it connects and runs run.
func (a *app) command(use, short string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, positional []string) error {
			if err := a.connect(); err != nil {
				return err
			}
			a.started = true
			return run(cmd, positional)
		},
	}
}

// group returns a command that only holds subcommands.
func group(use, short string, subcommands ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: chooseSubcommand}
	cmd.AddCommand(subcommands...)
	return cmd
}

func chooseSubcommand(cmd *cobra.Command, _ []string) error {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return usageError{fmt.Errorf("%s: choose a subcommand: %s", cmd.CommandPath(), strings.Join(names, ", "))}
}

// usageError is a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// isUsage reports whether err is the caller's fault: a bad command line or
// input the SDK refused before sending anything.
func isUsage(err error) bool {
	var invalid *apizee.ValidationError
	return errors.As(err, &invalid) || errors.As(err, new(usageError))
}

// oneLine formats err for stderr: one line that starts with "apizee: "
// once, secrets masked. The CLI's own messages wrap the SDK's errors with
// fmt.Errorf ("--basic-auth: %w"), which would repeat the prefix of the
// error they quote: the quoted prefix is dropped here, where every message
// passes, as the SDK's errors drop the prefix of the errors they wrap.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	msg = "apizee: " + strings.ReplaceAll(strings.TrimPrefix(msg, "apizee: "), ": apizee: ", ": ")
	return secrets.Mask(msg)
}

// longFlag matches "-name" and "-name=value" with a name of two letters or more.
var longFlag = regexp.MustCompile(`^-([a-zA-Z][a-zA-Z0-9-]+)(=.*)?$`)

// singleDashLongFlags rewrites -name to --name for the flags the command
// tree knows, so that "-fake" works as in Go's flag package as well as
// "--fake". Arguments after "--" are left alone.
func singleDashLongFlags(root *cobra.Command, args []string) []string {
	known := map[string]bool{"help": true}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		visit := func(f *pflag.Flag) { known[f.Name] = true }
		cmd.Flags().VisitAll(visit)
		cmd.PersistentFlags().VisitAll(visit)
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)

	out := make([]string, len(args))
	for i, arg := range args {
		if arg == "--" {
			copy(out[i:], args[i:])
			break
		}
		if m := longFlag.FindStringSubmatch(arg); m != nil && known[m[1]] {
			arg = "-" + arg
		}
		out[i] = arg
	}
	return out
}
