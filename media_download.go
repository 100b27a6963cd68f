package apizee

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

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
// http(s); *APIError for a non-2xx answer (ErrNotFound, ErrUnauthorized...);
// *DecodeError for an HTML page answered 200 in place of the file.
func (s *MediaService) Open(ctx context.Context, m *Media, opts ...CallOption) (io.ReadCloser, error) {
	resp, _, err := s.get(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Download copies a media file to w as it arrives and returns the number of
// bytes written. See Open for where the token goes and what is retried. A
// transfer cut short is an error, with the bytes written so far: shorter
// than its Content-Length, or, for a body whose end is only the
// connection's close, shorter than m.Size when the API gave it.
func (s *MediaService) Download(ctx context.Context, m *Media, w io.Writer, opts ...CallOption) (int64, error) {
	resp, u, err := s.get(ctx, m, opts)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	want := resp.ContentLength
	short := want >= 0 && n != want
	// A body of HTTP/1 with neither Content-Length nor chunked encoding (nor
	// gzip, whose stream knows its end) ends when the connection closes: cut
	// short, it looks whole. The size the API gave tells then.
	if want < 0 && resp.ProtoMajor == 1 && len(resp.TransferEncoding) == 0 && !resp.Uncompressed && m.Size > 0 {
		want, short = m.Size, n < m.Size
	}
	if err == nil && short {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, &RequestError{Method: http.MethodGet, Path: s.client.reportedPath(u),
			Err: fmt.Errorf("download stopped after %d of %d bytes: %w", n, want, err)}
	}
	return n, nil
}

// get sends the request of a media file. A proxy's maintenance or login
// page answered 200 in place of the file is refused: saved as the media, it
// would be a corrupt file that nothing reports.
func (s *MediaService) get(ctx context.Context, m *Media, opts []CallOption) (*http.Response, *url.URL, error) {
	u, err := mediaURL(m)
	if err != nil {
		return nil, nil, err
	}
	resp, err := s.client.send(ctx, request{method: http.MethodGet, url: u, accept: "*/*", opts: opts})
	if err != nil {
		return nil, nil, err
	}
	if isHTML(resp.Header.Get("Content-Type")) && !isHTML(m.ContentType) {
		defer resp.Body.Close()
		start, _ := io.ReadAll(io.LimitReader(resp.Body, excerptLen))
		return nil, nil, &DecodeError{Method: http.MethodGet, Path: s.client.reportedPath(u), StatusCode: resp.StatusCode,
			Err: errors.New("an HTML page came in place of the media file"), Excerpt: excerpt(start, len(start) == excerptLen, resp.secrets[:])}
	}
	return resp.Response, u, nil
}

// isHTML reports whether contentType names an HTML page. A header that
// does not parse ("text/html, text/plain", "text/html garbage": proxies
// write such things) is read by the type it names first: mime would give no
// type at all, and the page would be saved as the file.
func isHTML(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil && mediaType == "" {
		first := strings.TrimSpace(contentType)
		if i := strings.IndexAny(first, " \t;,"); i >= 0 {
			first = first[:i]
		}
		mediaType = strings.ToLower(first)
	}
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
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
