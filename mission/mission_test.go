package mission

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbos/orbos/mission/missiontest"
)

// Serve reads mission.yaml, polls the ORBs and answers on the configured address until its context
// ends.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	bare := missiontest.Repo(t, "demo", missiontest.Healthy)
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := "listen: " + addr + "\nadmin: {user: admin, passwordHash: '" + string(hash) + "'}\norbs:\n  - {name: demo, url: " + bare + "}\n"
	if err := os.WriteFile(filepath.Join(dir, "mission.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- Serve(ctx, Options{Config: filepath.Join(dir, "mission.yaml"), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	// Ending the context shuts the server down gracefully, and says so.
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if !strings.Contains(logs.String(), `msg="MISSION stopped"`) {
			t.Errorf("no stop message in %q", logs.String())
		}
		if _, err := http.Get("http://" + addr + "/login"); err == nil {
			t.Error("still answering after the stop")
		}
	}()
	var body string
	for range 100 {
		resp, err := http.Get("http://" + addr + "/login")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, "Local administrator") {
		t.Fatalf("login page: %q", body)
	}
	// MISSION's own state directory is there, private, from the start.
	if st, err := os.Stat(filepath.Join(dir, "mission-state")); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("stateDir: %v", err)
	}
	// The first poll runs beside the server: wait for its checkout under dataDir.
	for i := 0; ; i++ {
		_, err := os.Stat(filepath.Join(dir, "mission-data", "demo", "Pulumi.demo.yaml"))
		if err == nil {
			break
		}
		if i == 300 {
			t.Fatalf("the ORB was not checked out under dataDir: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeRefusesABadConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mission.yaml"), []byte("orbs: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Serve(context.Background(), Options{Config: filepath.Join(dir, "mission.yaml")})
	if err == nil || !strings.Contains(err.Error(), "orbs: at least one ORB") {
		t.Fatalf("got %v", err)
	}
}
