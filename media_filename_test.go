package apizee_test

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/apizee-go/apizee"
)

func TestMediaLocalFilename(t *testing.T) {
	long := strings.Repeat("a", 300)
	accents := strings.Repeat("é", 150) // 300 bytes
	tests := []struct {
		name  string
		media apizee.Media
		want  string
	}{
		// The guide's media.
		{"conference recording", apizee.Media{ID: 2343988, Title: "0YW553BN-8214-composite", Filename: "0YW553BN-8214-composite.mp4", MediaType: "video"}, "0YW553BN-8214-composite.mp4"},
		{"ticket video: title and type", apizee.Media{ID: 1973404, Title: "ysExSVPf-2552-477", ContentType: "video/mp4"}, "ysExSVPf-2552-477.mp4"},
		{"ticket photo", apizee.Media{ID: 1973403, Title: "diag_snapshot_1677103206155", ContentType: "image/jpeg"}, "diag_snapshot_1677103206155.jpg"},

		// Extensions.
		{"title with the type's extension", apizee.Media{Title: "photo.JPEG", ContentType: "image/jpeg"}, "photo.JPEG"},
		{"title with a dot that is no extension", apizee.Media{Title: "Meeting 13.07", ContentType: "video/mp4"}, "Meeting 13.07.mp4"},
		{"type with parameters, upper case", apizee.Media{Title: "clip", ContentType: "VIDEO/MP4; codecs=avc1"}, "clip.mp4"},
		{"type with a malformed parameter", apizee.Media{Title: "clip", ContentType: "video/mp4; codecs"}, "clip.mp4"},
		{"type with a trailing semicolon", apizee.Media{Title: "clip", ContentType: "image/jpeg;"}, "clip.jpg"},
		{"media type video without a content type", apizee.Media{Title: "rec", MediaType: "video"}, "rec.mp4"},
		{"unknown media type: no extension", apizee.Media{Title: "rec", MediaType: "hologram"}, "rec"},
		{"unparsable content type: no extension", apizee.Media{Title: "rec", ContentType: "video/"}, "rec"},
		{"file name without an extension gets one", apizee.Media{Filename: "notes", ContentType: "text/plain"}, "notes.txt"},
		{"file name keeps its own extension", apizee.Media{Filename: "capture.mov", ContentType: "video/mp4"}, "capture.mov"},
		{"pdf", apizee.Media{Title: "report", ContentType: "application/pdf"}, "report.pdf"},

		// Fallbacks.
		{"file name first", apizee.Media{ID: 1, Hash: "h", Title: "title", Filename: "file.mp4"}, "file.mp4"},
		{"hash when there is no title", apizee.Media{ID: 7, Hash: "4b6c0600-b2fc-11ed", ContentType: "video/mp4"}, "4b6c0600-b2fc-11ed.mp4"},
		{"id when there is nothing else", apizee.Media{ID: 7, ContentType: "image/png"}, "media-7.png"},
		{"nothing at all", apizee.Media{}, "media"},

		// Hostile names.
		{"parent segments", apizee.Media{Filename: "../../etc/passwd"}, "etc_passwd"},
		{"absolute path", apizee.Media{Filename: "/etc/cron.d/job"}, "etc_cron.d_job"},
		{"dot dot alone falls back", apizee.Media{ID: 7, Filename: "..", Title: ".", ContentType: "video/mp4"}, "media-7.mp4"},
		{"only dots falls back", apizee.Media{ID: 8, Filename: ".....", Title: "... ..."}, "media-8"},
		{"both separators", apizee.Media{Filename: `a/b\c`}, "a_b_c"},
		{"windows path", apizee.Media{Filename: `C:\Users\x\video.mp4`}, "C__Users_x_video.mp4"},
		{"full-width slashes", apizee.Media{Filename: "..／..＼etc∕passwd"}, "etc_passwd"},
		{"alternate data stream", apizee.Media{Filename: "video.mp4:Zone.Identifier"}, "video.mp4_Zone.Identifier"},
		{"forbidden characters", apizee.Media{Filename: `a<b>c"d|e?f*g.mp4`}, "a_b_c_d_e_f_g.mp4"},
		{"reserved device", apizee.Media{Filename: "CON"}, "_CON"},
		{"reserved device with an extension", apizee.Media{Filename: "con.mp4"}, "_con.mp4"},
		{"reserved device from a title", apizee.Media{Title: "nul", ContentType: "video/mp4"}, "_nul.mp4"},
		{"reserved device, trailing space", apizee.Media{Filename: "AUX .txt"}, "_AUX .txt"},
		{"reserved device with a superscript", apizee.Media{Filename: "COM¹.log"}, "_COM¹.log"},
		{"a longer name is not a device", apizee.Media{Filename: "CONSOLE.mp4"}, "CONSOLE.mp4"},
		{"hidden file", apizee.Media{Filename: ".bashrc"}, "bashrc"},
		{"trailing dots and spaces", apizee.Media{Filename: "video. . ."}, "video"},
		{"option-like", apizee.Media{Filename: "-rf"}, "_rf"},
		{"NUL byte", apizee.Media{Filename: "a\x00b.mp4"}, "a_b.mp4"},
		{"newline and tab", apizee.Media{Filename: "a\nb\tc.mp4"}, "a_b_c.mp4"},
		{"bidirectional override", apizee.Media{Filename: "invoice\u202Efdp.exe"}, "invoice_fdp.exe"},
		{"zero-width space", apizee.Media{Filename: "a\u200Bb.mp4"}, "a_b.mp4"},
		{"line and paragraph separators", apizee.Media{Filename: "a\u2028b\u2029c.mp4"}, "a_b_c.mp4"},
		{"invalid UTF-8", apizee.Media{Filename: "bad\xffname.mp4"}, "bad_name.mp4"},
		{"unicode kept", apizee.Media{Title: "Réunion du 13 juillet — 日本", ContentType: "video/mp4"}, "Réunion du 13 juillet — 日本.mp4"},
		{"overlong, ASCII", apizee.Media{Filename: long + ".mp4"}, strings.Repeat("a", 196) + ".mp4"},
		{"overlong title with an extension added", apizee.Media{Title: long, ContentType: "video/mp4"}, strings.Repeat("a", 196) + ".mp4"},
		{"overlong, cut on a character", apizee.Media{Filename: accents + ".mp4"}, strings.Repeat("é", 98) + ".mp4"},
		{"overlong without an extension", apizee.Media{Filename: long}, strings.Repeat("a", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.media.LocalFilename()
			assert.Equal(t, tt.want, got)
			assertSafeFilename(t, got)
			assert.Equal(t, got, tt.media.LocalFilename(), "the same media, the same name")
		})
	}
}

func TestMediaLocalFilenameOfNil(t *testing.T) {
	var m *apizee.Media
	assert.Equal(t, "media", m.LocalFilename())
}

// FuzzMediaLocalFilename checks that no server text makes an unsafe name.
func FuzzMediaLocalFilename(f *testing.F) {
	for _, s := range []string{"", ".", "..", "../../etc/passwd", `a/b\c`, "CON", "con.mp4", "\x00", ". .", "-", "....mp4", "\u202E", "\xff", strings.Repeat("é", 200)} {
		f.Add(s, s, "video/mp4", "video")
	}
	f.Fuzz(func(t *testing.T, filename, title, contentType, mediaType string) {
		m := apizee.Media{ID: 1, Filename: filename, Title: title, ContentType: contentType, MediaType: mediaType}
		name := m.LocalFilename()
		assertSafeFilename(t, name)
		if name != m.LocalFilename() {
			t.Fatalf("two names for one media: %q, %q", name, m.LocalFilename())
		}
	})
}

// assertSafeFilename checks what LocalFilename promises of any name.
func assertSafeFilename(t *testing.T, name string) {
	t.Helper()
	stem, _, _ := strings.Cut(name, ".")
	switch {
	case name == "" || name == "." || name == "..":
		t.Fatalf("name %q", name)
	case !utf8.ValidString(name):
		t.Fatalf("name %q is not UTF-8", name)
	case len(name) > 200:
		t.Fatalf("name of %d bytes", len(name))
	case strings.ContainsAny(name, `/\<>:"|?*`):
		t.Fatalf("name %q holds a separator or a character Windows forbids", name)
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		t.Fatalf("name %q holds a control or format character", name)
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-"):
		t.Fatalf("name %q starts with %q", name, name[:1])
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		t.Fatalf("name %q ends with a dot or a space", name)
	case strings.EqualFold(strings.TrimRight(stem, " "), "CON") || strings.EqualFold(strings.TrimRight(stem, " "), "NUL"):
		t.Fatalf("name %q is a Windows device", name)
	case !filepath.IsLocal(name) || filepath.Base(name) != name:
		t.Fatalf("name %q is not a single local file name", name)
	}
}
