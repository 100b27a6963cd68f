package apizee_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// exampleClient returns a client of the fake server: in production, leave
// out WithBaseURL and use your own credentials (or NewClientFromEnv).
func exampleClient(srv *apizeetest.Server) *apizee.Client {
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	if err != nil {
		log.Fatal(err)
	}
	return client
}

// Build a client for a staging host, with a retry policy for a nightly job
// that may wait longer than an interactive request would.
func ExampleNewClient() {
	srv := apizeetest.NewServer() // stands in for https://cloud.apizee.com/api
	defer srv.Close()
	ctx := context.Background()

	client, err := apizee.NewClient(
		apizee.WithBaseURL(srv.URL),
		apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithUserAgent("nightly-export/1.4"),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 5, MaxBackoff: time.Minute}),
	)
	if err != nil {
		log.Fatal(err) // a *apizee.ValidationError naming the bad option
	}
	defer client.Close(ctx) // revokes the token the client fetched

	ticket, err := client.Tickets.Get(ctx, 663614)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ticket.ID, ticket.State, ticket.Reference)
	fmt.Println("token fetches:", srv.TokensIssued())
	// Output:
	// 663614 done ref12345678
	// token fetches: 1
}

// A deployment configures the client in its environment: APIZEE_USERNAME
// and APIZEE_PASSWORD (or APIZEE_TOKEN), APIZEE_BASE_URL for another host,
// APIZEE_ENTERPRISE_ID to skip the /users/me look-up.
func ExampleNewClientFromEnv() {
	srv := apizeetest.NewServer() // stands in for the account the environment names
	defer srv.Close()
	for name, value := range map[string]string{
		apizee.EnvBaseURL: srv.URL, apizee.EnvUsername: srv.Username, apizee.EnvPassword: srv.Password,
		apizee.EnvToken: "", apizee.EnvEnterpriseID: "",
	} {
		defer os.Setenv(name, os.Getenv(name))
		os.Setenv(name, value)
	}
	ctx := context.Background()

	client, err := apizee.NewClientFromEnv(apizee.WithUserAgent("crm-sync/2.0")) // options win over the environment
	if err != nil {
		log.Fatal(err) // a *apizee.ValidationError when no account is configured
	}
	defer client.Close(ctx)
	ticket, err := client.Tickets.Get(ctx, 82070)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ticket.ID, ticket.State, "token fetches:", srv.TokensIssued())

	os.Setenv(apizee.EnvPassword, "")
	os.Setenv(apizee.EnvUsername, "")
	_, err = apizee.NewClientFromEnv()
	var badConfig *apizee.ValidationError
	if errors.As(err, &badConfig) {
		fmt.Println("without an account, the client is refused:", badConfig.Field)
	}
	// Output:
	// 82070 invited token fetches: 1
	// without an account, the client is refused: Credentials
}

func ExampleTicketsService_Get() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	ticket, err := client.Tickets.Get(context.Background(), 82070)
	if err != nil {
		log.Fatal(err) // errors.Is(err, apizee.ErrNotFound) for an unknown id
	}
	fmt.Println(ticket.State, ticket.Requestor.Phones, ticket.ButtonID)
	// The customer link carries the room password, the SSO link a token:
	// printing or logging a Ticket masks both.
	fmt.Println("printed secrets:", strings.Contains(fmt.Sprint(ticket), "pwd="), strings.Contains(fmt.Sprint(ticket), "access_token="))
	// Output:
	// invited [+33612345678] 223
	// printed secrets: false false
}

// Walk every ticket of a period; pages are fetched as the loop needs them,
// and breaking out of the loop fetches nothing more.
func ExampleTicketsService_All() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	params := &apizee.ListTicketsParams{Since: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Order: apizee.OrderAsc}
	for ticket, err := range client.Tickets.All(context.Background(), params) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ticket.ID, ticket.Created.Format(time.DateOnly), ticket.State)
	}
	// Output:
	// 663614 2023-02-22 done
	// 82070 2023-07-12 invited
}

// Stream a ticket's recordings to a writer (here a checksum) without holding
// a file in memory.
func ExampleMediaService_Download() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	for media, err := range client.Media.AllForTicket(ctx, 663614, nil) {
		if err != nil {
			log.Fatal(err)
		}
		sum := sha256.New()
		n, err := client.Media.Download(ctx, media, sum) // an *os.File in a real program
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %s: %d bytes\n", media.ID, media.ContentType, n)
	}
	// Output:
	// 1973404 video/mp4: 262144 bytes
	// 1973403 image/jpeg: 48213 bytes
}

func ExampleMediaService_AllForConference() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	for media, err := range client.Media.AllForConference(context.Background(), 842341, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(media.ID, media.MediaType, media.SourceType, media.Size)
	}
	// Output:
	// 2343988 video conf_record 2270386
}

func ExampleConferencesService_All() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	params := &apizee.ListConferencesParams{Search: "TEST", OrderBy: "date", Order: apizee.OrderDesc}
	for conf, err := range client.Conferences.All(context.Background(), params) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(conf.ID, conf.Name, conf.Status) // the search matches substrings: FindByName filters
	}
	// Output:
	// 842341 TEST XX ongoing
	// 842199 TEST scheduled
}

func ExampleConference_IframeHTML() {
	conf := &apizee.Conference{URL: "https://cloud.apizee.com/visio/842199"}
	fmt.Println(conf.IframeHTML(`Dr Doe's "room"`))
	// Output:
	// <iframe src="https://cloud.apizee.com/visio/842199" title="Dr Doe&#39;s &#34;room&#34;" allow="microphone;camera;geolocation;display-capture" allowfullscreen></iframe>
}
