package apizee

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/apizee-go/apizee/internal/redact"
)

// Open starts the download of a media file and returns its body as a stream
// that the caller must close. Memory stays flat whatever the file's size.
//
// The bearer token is sent only when m.URL is on the API's own host; a
// redirect to another host (a CDN) is followed without it. GET is retried on
// connection errors, 429 and 5xx before the body starts; a failure while
// reading the stream is the reader's error (a body shorter than its
// Content-Length ends with io.ErrUnexpectedEOF, never a silent short file).
// Errors: *ValidationError for a nil media or a URL that is not absolute
// http(s); *APIError for a non-2xx answer (ErrNotFound, ErrUnauthorized...).
func (s *MediaService) Open(ctx context.Context, m *Media) (io.ReadCloser, error) {
	u, err := mediaURL(m)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.send(ctx, request{method: http.MethodGet, url: u, accept: "*/*"})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Download copies a media file to w as it arrives and returns the number of
// bytes written. See Open for where the token goes and what is retried. A
// transfer cut short is an error, with the bytes written so far.
func (s *MediaService) Download(ctx context.Context, m *Media, w io.Writer) (int64, error) {
	u, err := mediaURL(m)
	if err != nil {
		return 0, err
	}
	resp, err := s.client.send(ctx, request{method: http.MethodGet, url: u, accept: "*/*"})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, &RequestError{Method: http.MethodGet, Path: redact.Path(u),
			Err: fmt.Errorf("download stopped after %d of %d bytes: %w", n, resp.ContentLength, err)}
	}
	return n, nil
}

// mediaURL checks the media's URL before any request.
func mediaURL(m *Media) (*url.URL, error) {
	if m == nil {
		return nil, invalid("Media", "is nil")
	}
	u, err := url.Parse(m.URL)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, invalid("URL", "media URL %q is not an absolute http(s) URL", redact.URL(m.URL))
	}
	return u, nil
}
