package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

func (a *app) fakeCommand() *cobra.Command {
	var addr string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the fake Apizee server until interrupted, for several commands and programs to share",
		Long: `Run the fake Apizee server (apizeetest) as a process, until Ctrl-C or SIGTERM.

Once it listens, it prints on stdout the environment that points a client at it,
as shell lines (source them, or eval them): the base URL, and the fake's fixed
test account, apizeetest's DefaultUsername and DefaultPassword. That password
opens nothing but this fake; a real account's password is never printed.
Every command and program run with that environment shares the fake's data:

	apizee fake serve --addr 127.0.0.1:8089 > fake.env &
	until [ -s fake.env ]; do sleep 0.1; done; . ./fake.env
	apizee tickets create --phone +33612345678 --reference case-1
	apizee tickets find case-1      # the same ticket: one server
	go run ./myprogram              # apizee.NewClientFromEnv() finds it too
	kill %1

It listens only on a loopback address: the fake speaks plain HTTP and its
password is public.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serveFake(cmd.Context(), addr) },
	}
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "loopback address to listen on (port 0: any free port)")
	return group("fake", "The fake Apizee server (apizeetest)", serve)
}

// serveFake runs the fake server on addr until ctx ends.
func (a *app) serveFake(ctx context.Context, addr string) error {
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return usageError{fmt.Errorf("--addr %q: %w", addr, err)}
	}
	if !tcpAddr.IP.IsLoopback() {
		return usageError{fmt.Errorf("--addr %q is not a loopback address (127.0.0.1:8089, [::1]:8089, localhost:8089): "+
			"the fake serves plain HTTP with a public password", addr)}
	}
	a.started = true // from here on, a failure is the network's
	l, err := net.ListenTCP("tcp", tcpAddr)
	if err != nil {
		return err
	}
	srv := apizeetest.NewServer(apizeetest.WithListener(l))
	defer srv.Close()

	// One write, so that a script waiting for the file to be non-empty reads
	// it whole. APIZEE_TOKEN is unset: it would win over the password, and
	// send a real account's token to the fake.
	env := strings.Join([]string{
		"export " + apizee.EnvBaseURL + "=" + shellQuote(srv.URL),
		"export " + apizee.EnvUsername + "=" + shellQuote(srv.Username),
		"export " + apizee.EnvPassword + "=" + shellQuote(srv.Password),
		"export " + apizee.EnvEnterpriseID + "=" + strconv.FormatInt(srv.EnterpriseID, 10),
		"unset " + apizee.EnvToken,
	}, "\n") + "\n"
	// The line for people goes first: a program that starts using the fake
	// as soon as stdout has the environment finds stderr already written.
	fmt.Fprintf(a.stderr, "apizee: the fake Apizee server is at %s, account %s (the test password is in the export lines on stdout); Ctrl-C stops it\n",
		srv.URL, srv.Username)
	if _, err := fmt.Fprint(a.stdout, env); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
