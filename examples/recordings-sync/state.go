package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/apizee-go/apizee"
)

// state is the record of the recordings downloaded, kept in a small JSON
// file beside them so that a restart downloads none of them again, even if
// a file was moved away since. It is rewritten whole at each change: to a
// temporary file, synced, then renamed over the old one, so that a crash
// leaves the old state or the new one, never half of either.
type state struct {
	path string
	data stateData
}

type stateData struct {
	Downloaded map[string]stateEntry `json:"downloaded"` // by mediaKey
}

type stateEntry struct {
	File    string    `json:"file"`
	MediaID int64     `json:"media_id"`
	Bytes   int64     `json:"bytes,omitempty"`
	At      time.Time `json:"at"`
}

// loadState reads the state at path; a missing file is an empty state.
func loadState(path string) (*state, error) {
	s := &state{path: path, data: stateData{Downloaded: map[string]stateEntry{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("reading the state %s: %w", path, err)
	}
	if s.data.Downloaded == nil {
		s.data.Downloaded = map[string]stateEntry{}
	}
	return s, nil
}

func (s *state) has(key string) bool { _, ok := s.data.Downloaded[key]; return ok }

func (s *state) file(key string) string { return s.data.Downloaded[key].File }

// add records m as saved in file, and writes the state.
func (s *state) add(key, file string, m *apizee.Media) error {
	s.data.Downloaded[key] = stateEntry{File: file, MediaID: m.ID, Bytes: m.Size, At: time.Now().UTC()}
	if err := s.save(); err != nil {
		delete(s.data.Downloaded, key) // not recorded: a redelivery tries again
		return err
	}
	return nil
}

// save writes the state atomically.
func (s *state) save() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return fmt.Errorf("saving the state %s: %w", s.path, err)
	}
	return nil
}
