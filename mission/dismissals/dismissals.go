// Package dismissals keeps which inbox notices each user put away, across restarts of MISSION.
//
// Where: a file in MISSION's own state directory (mission.yaml's stateDir), not the ORB repositories.
// MISSION writes only desired-state edits to those: a dismissal is one user's view, not the ORB's
// desired state, and committing it would put reading habits into every ORB's history, need write
// access where a read-only deploy key is enough to view, and race with the reconciler's commits. A
// ref of MISSION's own would need a repository of its own to hold it; one small file, replaced
// atomically, is all a single MISSION needs. It holds user names and notice keys, nothing secret;
// it is still written 0600 in a 0700 directory, like everything MISSION keeps.
package dismissals

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FileName is the file in the state directory.
const FileName = "dismissed.json"

// Notice names one notice: a problem of a kind on an ORB at its commit. A later commit with the
// same problem is a new notice.
type Notice struct{ Orb, Kind, Commit string }

// Store is the dismissals of every user. Only the newest dismissed commit of each ORB and kind is
// kept per user: an older one can never show again, so the file stays as small as the fleet.
type Store struct {
	mu   sync.Mutex
	path string // "" keeps them in memory only
	// users maps a user to "orb|kind" to the commit of the dismissed notice.
	users map[string]map[string]string
}

type file struct {
	Users map[string]map[string]string `json:"users"`
}

// Open reads the dismissals kept in dir (creating dir, 0700, when missing); dir "" keeps them in
// memory only (tests, a MISSION without a state directory).
func Open(dir string) (*Store, error) {
	s := &Store{users: map[string]map[string]string{}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating MISSION's state directory: %w", err)
	}
	s.path = filepath.Join(dir, FileName)
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the dismissed notices: %w", err)
	}
	var f file
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("reading the dismissed notices %s: %w (move it away to start afresh)", s.path, err)
	}
	if f.Users != nil {
		s.users = f.Users
	}
	return s, nil
}

func group(n Notice) string { return n.Orb + "|" + n.Kind }

// Dismissed tells whether user put the notice away.
func (s *Store) Dismissed(user string, n Notice) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.users[user][group(n)]
	return ok && c == n.Commit
}

// Dismiss puts the notice away for user and writes the file before it returns; on an error the
// dismissal is not kept.
func (s *Store) Dismiss(user string, n Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[user] == nil {
		s.users[user] = map[string]string{}
	}
	old, had := s.users[user][group(n)]
	s.users[user][group(n)] = n.Commit
	if err := s.write(); err != nil {
		if had {
			s.users[user][group(n)] = old
		} else {
			delete(s.users[user], group(n))
		}
		return err
	}
	return nil
}

// write replaces the file atomically: a new file beside it, synced, renamed over it. A crash
// leaves the old file or the new one, never a part of either.
func (s *Store) write() error {
	if s.path == "" {
		return nil
	}
	raw, err := json.MarshalIndent(file{Users: s.users}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), FileName+".*")
	if err != nil {
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("writing the dismissed notices: %w", err)
	}
	// The rename itself survives a crash only once the directory is synced.
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
