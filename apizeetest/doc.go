// Package apizeetest serves the Apizee REST API from memory, for tests.
//
// NewServer starts an HTTP server on 127.0.0.1 that speaks the API's wire
// protocol: /token (password and JWT-bearer grants, form body only),
// tickets, conferences, their media lists and files, ticket statistics,
// sessions and /users/me. It checks bearer tokens, validates parameters as
// the real API does (400 {"code":10,...,"details":"Parameter agent"}), and
// is seeded with the examples of the vendor's guide: tickets 82070
// (invited, reference "1234") and 663614 (done, reference "ref12345678",
// with a video and a photo), conferences 842199 ("TEST") and 842341
// ("TEST XX", with a recording), the guide's statistics row and one dated
// today (so that a report of today has data), and sessions of the
// conference service. Media files are generated as they are sent, so a
// 1 GiB file costs no memory; MediaContent returns the same bytes for
// checksums.
//
// It is no kinder than Apizee, so that what passes here does not fail in
// production: list answers carry only the fields of the guide's list
// examples (a listed ticket has no agent_url, button_id, sso_url, status or
// name), GET /tickets/{id} has no sso_url (only a create with scope=sso
// returns that link), and WithRateLimit counts per user across all of the
// user's tokens and logins.
//
// Hooks let a test provoke what is hard to get from the real API: QueueFault
// (an error status with Retry-After, a delay, a dropped connection before or
// after the request was processed, a body that is not JSON or is cut short),
// ExpireTokens and RevokeToken, WithRateLimit, WithConferencesDisabled.
// Requests and RequestCount show what the client sent.
//
// A test of code that opens a support call, including the case where the
// API's answer is lost:
//
//	// openSupportCall is the code under test.
//	func openSupportCall(ctx context.Context, client *apizee.Client, caseID, phone string) (*apizee.Ticket, error) {
//		return client.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{
//			Agent: "agent1@apizee.com", Phone: []string{phone}, Reference: caseID, Invite: true,
//		})
//	}
//
//	func TestOpenSupportCall(t *testing.T) {
//		srv := apizeetest.NewServer()
//		defer srv.Close()
//		client, err := apizee.NewClient(
//			apizee.WithBaseURL(srv.URL),
//			apizee.WithCredentials(srv.Username, srv.Password),
//		)
//		if err != nil {
//			t.Fatal(err)
//		}
//		// The server creates the ticket, then the connection drops before
//		// the answer: the customer must still get exactly one invitation.
//		srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", DropAfterProcessing: true})
//
//		ticket, err := openSupportCall(context.Background(), client, "case-42", "+33612345678")
//		if err != nil {
//			t.Fatal(err)
//		}
//		if n := srv.TicketsWithReference("case-42"); n != 1 {
//			t.Errorf("%d tickets with the case's reference, want exactly 1", n)
//		}
//		if ticket.State != "invited" {
//			t.Errorf("state %q, want invited", ticket.State)
//		}
//		if n := srv.RequestCount("POST", "/token"); n != 1 {
//			t.Errorf("%d token requests, want 1", n)
//		}
//	}
//
// A client can also skip /token with a token the server issues:
// apizee.WithToken(srv.IssueToken()).
//
// Webhooks: SetWebhook(url, header) makes the server POST Apizee's events
// to url, with "User-Agent: Cloud Apizee" and header, when its own state
// changes: a ticket created (POST /tickets, AddTickets) or moved to another
// state (SetTicketState), a media recorded (AddTicketMedia,
// AddConferenceMedia), a meeting ended (EndConference). Delivery is
// asynchronous and in order; WaitWebhooks waits for the deliveries and
// Webhooks lists them with the receiver's answers; Redeliver sends one
// again.
//
// Paths of faults and recorded requests are relative to the prefix
// ("/tickets/82070"); media files are at the server root, whatever the
// prefix, and keep their absolute path ("/media/showVideo/1/hash/...").
package apizeetest
