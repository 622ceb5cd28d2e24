package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Lance le serveur web (et les tâches de fond)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.serve(cmd.Context(), nil)
		},
	}
	cmd.Flags().StringVar(&a.cfg.Addr, "addr", a.cfg.Addr, "adresse d'écoute (SILLAGE_ADDR) ; par défaut la boucle locale seulement")
	return cmd
}

// serve runs the web server until ctx ends, then shuts it down gracefully.
// ready, when set, receives the listening address.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	srv, stopBackground, err := a.server(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("écoute sur %s impossible : %w", a.cfg.Addr, err)
	}
	hs := newHTTPServer(srv, a.log)
	var metrics *http.Server
	if a.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("écoute des métriques sur %s impossible : %w", a.cfg.MetricsAddr, err)
		}
		metrics = newHTTPServer(srv.MetricsHandler(), a.log)
		fmt.Fprintf(a.stdout, "Métriques sur http://%s/metrics\n", mln.Addr())
		go metrics.Serve(mln)
	}
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	fmt.Fprintf(a.stdout, "Sillage écoute sur %s\n", url)
	if ready != nil {
		ready(url)
	}
	errc := make(chan error, 1)
	go func() {
		if a.cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, a.cfg.TLSCert, a.cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if metrics != nil {
			metrics.Close()
		}
		stopBackground()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(a.stdout, "Arrêt de Sillage…")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	if metrics != nil {
		metrics.Shutdown(shutdownCtx)
	}
	stopBackground()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serverTimeouts bound what a slow or idle client holds: the headers, the
// whole request body (an import of SILLAGE_MAX_IMPORT over a slow line),
// the whole answer (a changeover archive download), an idle keep-alive.
var serverTimeouts = struct {
	ReadHeader, Read, Write, Idle time.Duration
}{ReadHeader: 10 * time.Second, Read: 15 * time.Minute, Write: 30 * time.Minute, Idle: 2 * time.Minute}

// maxHeaderBytes bounds the request line and headers.
const maxHeaderBytes = 64 << 10

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: serverTimeouts.ReadHeader,
		ReadTimeout:       serverTimeouts.Read,
		WriteTimeout:      serverTimeouts.Write,
		IdleTimeout:       serverTimeouts.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
