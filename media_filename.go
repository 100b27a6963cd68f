package apizee

import (
	"cmp"
	"errors"
	"mime"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLocalFilename is the longest name LocalFilename returns, in bytes: under
// the 255 of common file systems, with room left for what a caller adds (a
// temporary ".name.part-123" beside it, an id in front).
const maxLocalFilename = 200

// LocalFilename returns a name under which the media can be saved in a local
// directory, for every kind of media: conference media carry a file name,
// ticket media only a title and a content type.
//
// The name is Filename; else Title with the extension of ContentType (".mp4"
// for video/mp4, ".jpg" for image/jpeg; ".mp4" for a MediaType "video" with
// no content type, since Apizee records in MP4); else Hash, else
// "media-<ID>", each with that extension. The server's text is made safe on
// every operating system: path separators (also their full-width look-alikes)
// become "_" and dot segments are dropped, so "../../etc/passwd" is
// "etc_passwd"; control and format characters (NUL, bidirectional
// overrides), line and paragraph separators and the characters Windows
// forbids (<>:"|?*) become "_"; leading dots (hidden files), trailing dots
// and spaces, and a leading "-" (read as an option by shell commands) are
// removed or neutralised; a reserved Windows device name gets a "_" in front
// ("CON.mp4" is "_CON.mp4"); a name longer than 200 bytes is cut, keeping its
// extension. A content type with parameters, even malformed ones
// ("video/mp4; codecs"), gives the extension of its type.
//
// The result is never empty, ".", or "..", and the same media always gets
// the same name; the same on every system for the common content types
// (others take their extension from mime.ExtensionsByType, that is from the
// system's MIME table). Two media can share a name (two files titled alike):
// a caller saving several media into one directory should make names unique,
// e.g. by putting the ID in front. The extension is the server's: a shared
// file named "setup.exe" keeps it.
func (m *Media) LocalFilename() string {
	if m == nil {
		return "media"
	}
	exts := mediaExtensions(m.ContentType, m.MediaType)
	name := cleanFilename(m.Filename)
	switch {
	case name == "":
		fallback := "media"
		if m.ID != 0 {
			fallback += "-" + strconv.FormatInt(m.ID, 10)
		}
		name = withExtension(cmp.Or(cleanFilename(m.Title), cleanFilename(m.Hash), fallback), exts)
	case path.Ext(name) == "":
		name = withExtension(name, exts) // the server's name keeps its own extension, if it has one
	}
	return shortFilename(unreservedFilename(name))
}

// preferredExtensions are the extensions of the content types Apizee serves,
// the preferred one first, so that the name does not depend on the system's
// MIME table (which lists ".m4v", ".mp4" and ".mp4v" for video/mp4).
var preferredExtensions = map[string][]string{
	"video/mp4":       {".mp4"},
	"video/webm":      {".webm"},
	"video/quicktime": {".mov"},
	"audio/mpeg":      {".mp3"},
	"audio/mp4":       {".m4a"},
	"audio/webm":      {".weba", ".webm"},
	"audio/ogg":       {".ogg", ".oga"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/png":       {".png"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"application/pdf": {".pdf"},
	"text/plain":      {".txt"},
}

// mediaExtensions returns the extensions of a media's content, the one to add
// first; none when neither the content type nor the media type tells.
func mediaExtensions(contentType, mediaType string) []string {
	// A malformed parameter ("video/mp4; codecs") still names the type:
	// ParseMediaType returns it with ErrInvalidMediaParameter.
	mediatype, _, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		if strings.EqualFold(strings.TrimSpace(mediaType), "video") {
			return preferredExtensions["video/mp4"]
		}
		return nil
	}
	if exts, ok := preferredExtensions[mediatype]; ok {
		return exts
	}
	known, _ := mime.ExtensionsByType(mediatype)
	var exts []string
	for _, ext := range known {
		// The system's table is text a file name will end with: only
		// plain extensions, such as ".odt" or ".tar.gz"'s ".gz".
		if len(ext) >= 2 && len(ext) <= 10 && ext[0] == '.' && strings.Trim(ext[1:], "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
			exts = append(exts, ext)
		}
	}
	return exts
}

// withExtension appends the first of exts to name unless name already ends
// with one of them, in any case ("photo.JPEG").
func withExtension(name string, exts []string) string {
	lower := strings.ToLower(name)
	for _, ext := range exts {
		if strings.HasSuffix(lower, ext) {
			return name
		}
	}
	if len(exts) == 0 {
		return name
	}
	return name + exts[0]
}

// cleanFilename makes the server's text a single file name that no system
// reads as a path, a hidden file or an option; "" when nothing is left.
func cleanFilename(s string) string {
	s = strings.ToValidUTF8(s, "_")
	var segments []string
	for segment := range strings.FieldsFuncSeq(s, isPathSeparator) {
		segment = strings.TrimSpace(segment)
		if strings.Trim(segment, ". ") != "" { // "", ".", "..", ". ." are not names
			segments = append(segments, segment)
		}
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || strings.ContainsRune(`<>:"|?*`, r) {
			return '_'
		}
		return r
	}, strings.Join(segments, "_"))
	// A leading dot hides the file (or overwrites a ".profile"); Windows
	// drops trailing dots and spaces.
	name = strings.Trim(name, ". ")
	if strings.HasPrefix(name, "-") {
		name = "_" + name[1:]
	}
	return name
}

// isPathSeparator reports whether r separates path elements on some system,
// or is a look-alike that a conversion to a legacy code page turns into one
// (Windows' "best fit" maps U+FF0F to '/').
func isPathSeparator(r rune) bool {
	switch r {
	case '/', '\\', '\uFF0F', '\uFF3C', '\u2215', '\u2044', '\u29F8', '\u29F9':
		return true
	}
	return false
}

// reservedFilenames are Windows' device names: "CON", "con.mp4" or "NUL.txt"
// open the device, not a file.
var reservedFilenames = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true,
	"COM0": true, "COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"COM¹": true, "COM²": true, "COM³": true,
	"LPT0": true, "LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
	"LPT¹": true, "LPT²": true, "LPT³": true,
}

// unreservedFilename puts "_" in front of a reserved Windows device name,
// with or without an extension.
func unreservedFilename(name string) string {
	stem, _, _ := strings.Cut(name, ".")
	if reservedFilenames[strings.ToUpper(strings.TrimRight(stem, " "))] {
		return "_" + name
	}
	return name
}

// shortFilename cuts name to maxLocalFilename bytes, on a character
// boundary, keeping a short extension.
func shortFilename(name string) string {
	if len(name) <= maxLocalFilename {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	cut := maxLocalFilename - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return strings.TrimRight(stem[:cut], ". ") + ext
}
