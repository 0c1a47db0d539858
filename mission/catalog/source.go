package catalog

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxSize is the largest catalog a Source reads: a catalog is a few kilobytes; anything much larger
// is not one.
const MaxSize = 1 << 20

// Source is where the operator's catalog comes from: a file, a URL, or neither (the embedded one).
// The URL is fetched only when configured, and only by Load.
type Source struct {
	File, URL string
	// Client fetches URL; nil is a client with a 30-second timeout.
	Client *http.Client
}

// Load reads the catalog from the URL when set, else the file when set, else the embedded one.
func (s Source) Load(ctx context.Context) (*Catalog, error) {
	switch {
	case s.URL != "":
		return s.fetch(ctx)
	case s.File != "":
		return Load(s.File)
	}
	return Embedded(), nil
}

func (s Source) fetch(ctx context.Context) (*Catalog, error) {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching the catalog: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the catalog: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the catalog from %s: %s", s.URL, resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetching the catalog from %s: %w", s.URL, err)
	}
	if len(raw) > MaxSize {
		return nil, fmt.Errorf("fetching the catalog from %s: larger than %d bytes", s.URL, MaxSize)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the catalog from %s: %w", s.URL, err)
	}
	return c, nil
}

// Refresh loads the catalog from src now and then every interval until ctx ends, handing each good
// one to set; a failed load is reported to failed and the previous catalog stays.
func Refresh(ctx context.Context, src Source, interval time.Duration, set func(*Catalog), failed func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if c, err := src.Load(ctx); err != nil {
			failed(err)
		} else {
			set(c)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
