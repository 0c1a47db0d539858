package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/reconciler"
)

func (a *app) reconcileCommand() *cobra.Command {
	var (
		opts       reconciler.Options
		listen     string
		fromSecret bool
	)
	c := &cobra.Command{
		Use:   "reconcile",
		Short: "Keep the ORB converged: the loop that runs inside the cluster",
		Long: `reconcile polls the ORB repository (refs only, every --interval with jitter) and runs up when the
desired commit moved or --resync has passed. Every --drift-interval it refreshes a preview and writes
what changed behind its back into status/<orb>.yaml; it corrects drift only when the spec sets
orbos:reconciler.correctDrift. Failures back off (10s × 3^n, capped); after --max-failures of one
commit it stops retrying that commit, says so in the status, and resumes with the next commit.
orbos:reconciler.suspend pauses it. It logs JSON to stderr and serves /healthz, /readyz and /metrics.`,
		Example: "  orbctl reconcile --interval 30s --drift-interval 5m --listen :9090",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			load := orbconfig.Load
			if fromSecret {
				load = orbconfig.LoadMounted
			}
			cfg, err := load(a.s.Orbconfig)
			if err != nil {
				return usageError{err}
			}
			// One redactor for the ORB and its logs: it learns every secret of the ORB at each run.
			redactor := a.redactor
			redactor.Add(cfg.Passphrase)
			logger := slog.New(slog.NewJSONHandler(redactor.Writer(a.errOut), nil)).With("orb", cfg.Orb)
			orb, err := automation.Open(a.ctx, automation.Options{
				Config: cfg, Checkout: a.s.Checkout, LockWait: a.s.LockWait, LockTTL: a.s.LockTTL,
				Progress: &logWriter{logger: logger}, Redactor: redactor,
			})
			if err != nil {
				return err
			}
			defer orb.Close()
			opts.Logger = logger
			r := reconciler.New(orb, opts)
			if listen != "" {
				l, err := net.Listen("tcp", listen)
				if err != nil {
					return usageError{fmt.Errorf("--listen %s: %w", listen, err)}
				}
				srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 5 * time.Second}
				go func() {
					if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
						logger.Error("serving health and metrics", "error", err.Error())
					}
				}()
				defer srv.Close()
				logger.Info("serving /healthz, /readyz and /metrics", "address", l.Addr().String())
			}
			logger.Info("reconciling", "interval", opts.Interval.String(), "resync", opts.Resync.String(), "driftInterval", opts.DriftInterval.String())
			return r.Run(a.ctx)
		},
	}
	f := c.Flags()
	f.DurationVar(&opts.Interval, "interval", 30*time.Second, "how often to check the repository (±20% jitter)")
	f.DurationVar(&opts.Resync, "resync", 10*time.Minute, "run up at least this often, even without a new commit")
	f.DurationVar(&opts.DriftInterval, "drift-interval", 5*time.Minute, "how often to check for drift; 0 never")
	f.IntVar(&opts.MaxFailures, "max-failures", 5, "failures of one commit after which it is not retried until a new commit")
	f.DurationVar(&opts.BackoffBase, "backoff", 10*time.Second, "wait after the first failure; ×3 after each further one")
	f.DurationVar(&opts.BackoffMax, "backoff-max", 10*time.Minute, "longest wait after failures")
	f.StringVar(&listen, "listen", ":9090", "address of /healthz, /readyz and /metrics; empty: none")
	f.BoolVar(&fromSecret, "orbconfig-from-secret", false, "the orbconfig is a Secret mounted into the pod, readable by the pod's fsGroup (as takeoff deploys it)")
	return c
}

// logWriter turns the engine's progress lines into log records.
type logWriter struct{ logger *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			w.logger.Info("progress", "line", line)
		}
	}
	return len(p), nil
}
