package testenv

import (
	"context"
	"debug/elf"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The greeter's image runs its static binary at /greeter, which answers with the greeting, the
// pod and the chart its environment names.
func TestGreeterImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	path, err := BuildGreeterImage(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/greeter" || cf.OS != "linux" {
		t.Errorf("image config: %s entrypoint %v", cf.OS, cf.Config.Entrypoint)
	}
	// Static: the image has no libc, so no interpreter may be asked for.
	bin := filepath.Join(dir, "greeter")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the greeter is linked dynamically")
		}
	}
	f.Close()

	port, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "127.0.0.1:"+strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "GREETING=bonjour", "POD_NAME=gateway-abc-123", "CHART=gateway-standin 0.1.0")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	client := &http.Client{Timeout: 2 * time.Second}
	var body []byte
	for i := 0; i < 50; i++ {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/anything")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := "bonjour from gateway-abc-123 (gateway-standin 0.1.0)\n"; string(body) != want {
		t.Errorf("the greeter answered %q, want %q", body, want)
	}
}
