package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

// syncer downloads recordings as webhook events announce them. An event is
// only a hint (Apizee signs nothing): the recording is always looked up
// through the client, in its meeting's or ticket's media list, and
// downloaded from what the API answers, never from the event.
type syncer struct {
	client *apizee.Client
	dir    string
	state  *state
	log    *slog.Logger

	// mu makes "already downloaded? download, record" one step: a media
	// event and a meeting-ended event may name one recording at once.
	mu         sync.Mutex
	downloaded []download // by this process, for the report
}

// download is one recording this process saved.
type download struct {
	Path  string
	Bytes int64
}

// downloadTemp names a download until it is whole (os.CreateTemp).
const downloadTemp = ".download-*"

// syncTimeout bounds the work of one event, its downloads included.
const syncTimeout = time.Hour

// handle is the webhook function: it returns nil when there is nothing (more)
// to do, an error when the event should come again (a 500 answer).
//
// Its work is not bound to the delivery: Apizee documents no timeout for
// its answer, and a sender that gives up waiting must not cut the download
// of a long recording short, or that recording would never be saved,
// however often it is delivered. The work goes on (syncTimeout at most, the
// claim's time: see startReceiver), and a redelivery meanwhile is answered
// 409.
func (s *syncer) handle(ctx context.Context, e *webhook.Event) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), syncTimeout)
	defer cancel()
	switch e.Object {
	case webhook.ObjectMedia:
		if e.Action == webhook.ActionDelete {
			return nil
		}
		return s.mediaEvent(ctx, e)
	case webhook.ObjectConversation:
		return s.conversationEvent(ctx, e)
	}
	return nil
}

// mediaEvent fetches the media the event names from its meeting's or
// ticket's media list.
func (s *syncer) mediaEvent(ctx context.Context, e *webhook.Event) error {
	id, err := strconv.ParseInt(e.ObjectID, 10, 64)
	if err != nil {
		s.log.Warn("media event with a non-numeric id: skipped", "object_id", e.ObjectID)
		return nil
	}
	p, err := e.MediaProps()
	if err != nil {
		s.log.Warn("media event with unreadable props: skipped", "error", err)
		return nil
	}
	var kind string
	var parent int64
	var medias func() ([]*apizee.Media, error)
	switch {
	case p.ConferenceID > 0:
		kind, parent = "conference", p.ConferenceID
		medias = func() ([]*apizee.Media, error) { return collect(s.client.Media.AllForConference(ctx, parent, nil)) }
	case p.TicketID > 0:
		kind, parent = "ticket", p.TicketID
		medias = func() ([]*apizee.Media, error) { return collect(s.client.Media.AllForTicket(ctx, parent, nil)) }
	default:
		s.log.Warn("media event that names no meeting or ticket: skipped", "media_id", id)
		return nil
	}
	list, err := medias()
	if err != nil {
		return fmt.Errorf("listing the media of %s %d: %w", kind, parent, err)
	}
	for _, m := range list {
		if m.ID == id {
			return s.fetch(ctx, kind, parent, m)
		}
	}
	// Not (yet) in the list: a forged event, or a media still being
	// processed. An error asks the sender to deliver it again later.
	return fmt.Errorf("media %d is not in the media of %s %d", id, kind, parent)
}

// conversationEvent fetches the recordings of a meeting that ended: the
// event names the meeting by its name, which FindByName looks up.
func (s *syncer) conversationEvent(ctx context.Context, e *webhook.Event) error {
	p, err := e.ConversationProps()
	if err != nil || p.EventType != webhook.ConversationEnded || p.Name == "" {
		return nil
	}
	c, err := s.client.Conferences.FindByName(ctx, p.Name)
	if errors.Is(err, apizee.ErrNotFound) {
		s.log.Info("a session ended that is no meeting of this account: skipped", "name", p.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding the meeting %q: %w", p.Name, err)
	}
	list, err := collect(s.client.Media.AllForConference(ctx, c.ID, nil))
	if err != nil {
		return fmt.Errorf("listing the media of conference %d: %w", c.ID, err)
	}
	for _, m := range list {
		if err := s.fetch(ctx, "conference", c.ID, m); err != nil {
			return err
		}
	}
	return nil
}

// isRecording reports whether m is a finished video.
func isRecording(m *apizee.Media) bool {
	video := m.SourceType == "conf_record" || m.MediaType == "video" || strings.HasPrefix(m.ContentType, "video/")
	return video && (m.Status == "" || m.Status == "completed")
}

// fetch downloads m into the folder unless the state says it already was.
// The file appears whole or not at all: it is written under a temporary
// name, synced, then renamed; the state is saved after the rename.
func (s *syncer) fetch(ctx context.Context, kind string, parent int64, m *apizee.Media) error {
	if !isRecording(m) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := mediaKey(m)
	if s.state.has(key) {
		s.log.Debug("already downloaded", "media_id", m.ID, "file", s.state.file(key))
		return nil
	}
	name := fileName(kind, parent, m)
	final := filepath.Join(s.dir, name)
	// Saved by a run that stopped before it could record it: keep it. Only
	// the rename of a whole download puts a file at this name (a link there
	// is no recording), so it is whole unless the API says another size.
	if info, err := os.Lstat(final); err == nil && info.Mode().IsRegular() && (m.Size == 0 || info.Size() == m.Size) {
		return s.state.add(key, name, m)
	}
	tmp, err := os.CreateTemp(s.dir, downloadTemp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := s.client.Media.Download(ctx, m, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes it private
	}
	if err != nil {
		return fmt.Errorf("downloading media %d: %w", m.ID, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	if err := s.state.add(key, name, m); err != nil {
		return err
	}
	s.downloaded = append(s.downloaded, download{Path: final, Bytes: n})
	s.log.Info("recording downloaded", "file", final, "bytes", n)
	return nil
}

// mediaKey names a media in the state: its hash, unique to the file, or
// its id.
func mediaKey(m *apizee.Media) string {
	if m.Hash != "" {
		return m.Hash
	}
	return "id:" + strconv.FormatInt(m.ID, 10)
}

// fileName is where m is saved: its meeting or ticket, its id, the start
// of its hash (two files never share a name, even from two fake servers
// that reuse ids), and the media's own safe local name (LocalFilename: a
// name from the API never leaves the folder).
func fileName(kind string, parent int64, m *apizee.Media) string {
	id := strconv.FormatInt(m.ID, 10)
	// Apizee's hashes are UUIDs: anything else is left out of the name.
	if len(m.Hash) >= 8 && strings.Trim(m.Hash[:8], "0123456789abcdefABCDEF-") == "" {
		id += "-" + m.Hash[:8]
	}
	return fmt.Sprintf("%s-%d-%s-%s", kind, parent, id, m.LocalFilename())
}

// collect gathers an SDK iterator.
func collect(items func(yield func(*apizee.Media, error) bool)) ([]*apizee.Media, error) {
	var out []*apizee.Media
	for m, err := range items {
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// report writes what this process downloaded.
func (s *syncer) report(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "Downloaded %d recording(s) into %s:\n", len(s.downloaded), s.dir)
	for _, d := range s.downloaded {
		fmt.Fprintf(w, "  %s (%d bytes)\n", d.Path, d.Bytes)
	}
}
