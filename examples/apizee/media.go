package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/apizee-go/apizee"
)

// mediaColumns are the columns of a media. local_filename is the name
// "media download" saves it under.
var mediaColumns = []column[apizee.Media]{
	{"id", func(m *apizee.Media) field { return number(m.ID) }},
	{"title", func(m *apizee.Media) field { return text(m.Title) }},
	{"filename", func(m *apizee.Media) field { return text(m.Filename) }},
	{"content_type", func(m *apizee.Media) field { return text(m.ContentType) }},
	{"media_type", func(m *apizee.Media) field { return text(m.MediaType) }},
	{"status", func(m *apizee.Media) field { return text(m.Status) }},
	{"size_bytes", func(m *apizee.Media) field {
		if m.Size <= 0 {
			return field{"", nil} // ticket media: the API does not say
		}
		return number(m.Size)
	}},
	{"created", func(m *apizee.Media) field { return timestamp(m.Created) }},
	{"url", func(m *apizee.Media) field { return text(m.URL) }},
	{"local_filename", func(m *apizee.Media) field { return text(m.LocalFilename()) }},
	{"hash", func(m *apizee.Media) field { return text(m.Hash) }},
	{"description", func(m *apizee.Media) field { return text(m.Description) }},
	{"source_type", func(m *apizee.Media) field { return text(m.SourceType) }},
	{"owner", func(m *apizee.Media) field { return partyName(m.Owner) }},
	{"latitude", func(m *apizee.Media) field { return latitude(m.Location) }},
	{"longitude", func(m *apizee.Media) field { return longitude(m.Location) }},
}

// download is what "media download" prints for a file it wrote.
type download struct {
	id     int64
	path   string
	bytes  int64
	sha256 []byte
}

var downloadColumns = []column[download]{
	{"id", func(d *download) field { return number(d.id) }},
	{"path", func(d *download) field { return text(d.path) }},
	{"bytes", func(d *download) field { return number(d.bytes) }},
	{"sha256", func(d *download) field { return text(hex.EncodeToString(d.sha256)) }},
}

// mediaOwner is the ticket or meeting whose media a command works on.
type mediaOwner struct {
	ticket, conference int64
}

func (o *mediaOwner) flags(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&o.ticket, "ticket", 0, "the ticket's id")
	cmd.Flags().Int64Var(&o.conference, "conference", 0, "the meeting's id")
	cmd.MarkFlagsOneRequired("ticket", "conference")
	cmd.MarkFlagsMutuallyExclusive("ticket", "conference")
}

func (o *mediaOwner) all(ctx context.Context, client *apizee.Client, p *apizee.ListMediaParams) iter.Seq2[*apizee.Media, error] {
	if o.ticket != 0 {
		return client.Media.AllForTicket(ctx, o.ticket, p)
	}
	return client.Media.AllForConference(ctx, o.conference, p)
}

func (o *mediaOwner) String() string {
	if o.ticket != 0 {
		return fmt.Sprintf("ticket %d", o.ticket)
	}
	return fmt.Sprintf("meeting %d", o.conference)
}

func (a *app) mediaCommand() *cobra.Command {
	return group("media", "Media recorded during tickets and meetings", a.mediaListCommand(), a.mediaDownloadCommand())
}

func (a *app) mediaListCommand() *cobra.Command {
	var owner mediaOwner
	var p apizee.ListMediaParams
	var order string
	var max int
	cmd := a.command("list", "List the media of a ticket or a meeting (JSON Lines or CSV)", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error {
			p.Order = apizee.Order(order)
			return stream(newRecords(a, mediaColumns), owner.all(cmd.Context(), a.client, &p), max)
		})
	owner.flags(cmd)
	fs := cmd.Flags()
	fs.StringVar(&p.OrderBy, "orderby", "", "sort key (meetings only)")
	fs.StringVar(&order, "order", "", "asc or desc (meetings only)")
	pagingFlags(fs, &p.Limit, &p.Offset, &max)
	return cmd
}

func (a *app) mediaDownloadCommand() *cobra.Command {
	var owner mediaOwner
	var file string
	cmd := a.command("download MEDIA_ID", "Download a media to a file (-f - for stdout), streamed", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string) error {
			id, err := parseID("media id", args[0])
			if err != nil {
				return err
			}
			m, err := a.findMedia(cmd.Context(), &owner, id)
			if err != nil {
				return err
			}
			if file == "-" {
				_, err := a.download(cmd.Context(), m, a.stdout)
				return err
			}
			path := file
			if info, err := os.Stat(path); path == "" || err == nil && info.IsDir() {
				path = filepath.Join(path, m.LocalFilename())
			}
			written, err := a.downloadToFile(cmd.Context(), m, path)
			if err != nil {
				return err
			}
			return newRecords(a, downloadColumns).write(written)
		})
	owner.flags(cmd)
	cmd.Flags().StringVarP(&file, "file", "f", "",
		`where to write it: a file, a directory, or "-" for stdout (default: the media's safe local file name in the current directory)`)
	return cmd
}

// findMedia looks for media id among the owner's media: the API has no
// endpoint for one media.
func (a *app) findMedia(ctx context.Context, owner *mediaOwner, id int64) (*apizee.Media, error) {
	for m, err := range owner.all(ctx, a.client, nil) {
		if err != nil {
			return nil, err
		}
		if m.ID == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("media %d is not a media of %s: %w", id, owner, apizee.ErrNotFound)
}

// downloadToFile writes the media to a temporary file beside path and
// renames it once complete: an interrupted download leaves no truncated
// file behind under the final name.
func (a *app) downloadToFile(ctx context.Context, m *apizee.Media, path string) (*download, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return nil, usageError{err}
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	sum := sha256.New()
	n, err := a.download(ctx, m, io.MultiWriter(tmp, sum))
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return nil, err
	}
	return &download{id: m.ID, path: path, bytes: n, sha256: sum.Sum(nil)}, nil
}

// download streams the media into w, with a progress bar on stderr when
// stderr is a terminal (never in a pipe or a log file).
func (a *app) download(ctx context.Context, m *apizee.Media, w io.Writer) (int64, error) {
	if !isTerminal(a.stderr) {
		return a.client.Media.Download(ctx, m, w)
	}
	size := m.Size
	if size <= 0 {
		size = -1 // unknown: a spinner
	}
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(fmt.Sprintf("media %d", m.ID)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(a.stderr) }),
	)
	n, err := a.client.Media.Download(ctx, m, io.MultiWriter(w, bar))
	if err == nil {
		err = bar.Finish()
	}
	return n, err
}

// isTerminal reports whether w is a terminal. A variable, so that a test
// can see the progress bar.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
