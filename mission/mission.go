// Package mission is MISSION: one web page over every ORB's Git repository. It reads and writes only
// those repositories (never a cluster, never a cloud). Serve wires its parts: config (mission.yaml),
// fleet (polling and parsing), auth (sign-in, sessions, roles), commit (the writer) and web (pages).
package mission

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/dismissals"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/notify"
	"github.com/orbos/orbos/mission/web"
)

// Options of Serve.
type Options struct {
	// Config is mission.yaml's path.
	Config string
	// Catalog is a release catalog file replacing the embedded one (and mission.yaml's catalogFile);
	// "" keeps the configured or embedded one.
	Catalog string
	Log     *slog.Logger
	// Ready, when set, is called with the address once the server is about to listen.
	Ready func(addr string)
}

// Serve runs MISSION until ctx ends: it polls every ORB and serves the pages.
func Serve(ctx context.Context, o Options) error {
	cfg, err := config.Load(o.Config)
	if err != nil {
		return err
	}
	if o.Catalog == "" {
		o.Catalog = cfg.CatalogFile
	}
	cat, err := catalog.Load(o.Catalog)
	if err != nil {
		return err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	f := fleet.New(cfg, cat, nil)
	// The file is read again and the URL fetched on the refresh interval; the first good fetch of the
	// URL replaces the file's or the embedded catalog, a failed one keeps the last good one.
	if src := (catalog.Source{File: o.Catalog, URL: cfg.CatalogURL}); src.File != "" || src.URL != "" {
		go catalog.Refresh(ctx, src, cfg.CatalogRefresh.Duration, f.SetCatalog, func(err error) {
			o.Log.Warn("catalog not refreshed; keeping the last one", "err", err)
		})
	}
	sessions := auth.NewSessions(cfg.TLS != nil || strings.HasPrefix(cfg.PublicURL, "https://"))
	var oidc *auth.OIDC
	if cfg.OIDC != nil {
		if oidc, err = auth.NewOIDC(ctx, cfg.OIDC, strings.TrimSuffix(cfg.PublicURL, "/")+"/auth/callback", sessions); err != nil {
			return err
		}
	}
	dismissed, err := dismissals.Open(cfg.StateDir)
	if err != nil {
		return err
	}
	srv, err := web.New(cfg, f, web.Options{Sessions: sessions, OIDC: oidc, Log: o.Log, Dismissals: dismissed})
	if err != nil {
		return fmt.Errorf("preparing the pages: %w", err)
	}
	hooks := notify.New(cfg.Webhooks, o.Log)
	go f.Run(ctx, cfg.PollInterval.Duration, func() { hooks.Notify(ctx, f.Snapshot()) })
	o.Log.Info("MISSION serving", "listen", cfg.Listen, "orbs", len(cfg.Orbs))
	if o.Ready != nil {
		o.Ready(cfg.Listen)
	}
	return srv.ListenAndServe(ctx)
}
