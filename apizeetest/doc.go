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
// ("TEST XX", with a recording), a statistics row and sessions of the
// conference service. Media files are generated as they are sent, so a
// 1 GiB file costs no memory; MediaContent returns the same bytes for
// checksums.
//
// Hooks let a test provoke what is hard to get from the real API: QueueFault
// (an error status with Retry-After, a delay, a dropped connection before or
// after the request was processed, a body that is not JSON or is cut short),
// ExpireTokens and RevokeToken, WithRateLimit, WithConferencesDisabled.
// Requests and RequestCount show what the client sent.
//
// A test of code that creates a ticket:
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
//		// The first answer to POST /tickets is a 503: the code under test
//		// must cope (the SDK returns it: the ticket may exist).
//		srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: 503})
//
//		ticket, err := openSupportCall(context.Background(), client, "case-42", "+33612345678")
//		if err != nil {
//			t.Fatal(err)
//		}
//		if got := srv.TicketsWithReference("case-42"); got != 1 {
//			t.Errorf("%d tickets with the case's reference, want exactly 1", got)
//		}
//		if ticket.Agent != srv.Username {
//			t.Errorf("agent %q, want %q", ticket.Agent, srv.Username)
//		}
//		if n := srv.RequestCount("POST", "/token"); n != 1 {
//			t.Errorf("%d token requests, want 1", n)
//		}
//	}
//
// Paths of faults and recorded requests are relative to the prefix
// ("/tickets/82070"); media files are at the server root, whatever the
// prefix, and keep their absolute path ("/media/showVideo/1/hash/...").
package apizeetest
