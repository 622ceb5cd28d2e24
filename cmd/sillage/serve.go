package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage/internal/web"
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
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	if err := a.checkKeys(ctx, st); err != nil {
		return err
	}
	files, err := a.files()
	if err != nil {
		return err
	}
	deps := web.Deps{Config: &a.cfg, Store: st, Blobs: files, Clock: a.clock(), Logger: a.log}
	runner, err := a.startBackground(ctx, &deps)
	if err != nil {
		return err
	}
	srv, err := web.NewServer(deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("écoute sur %s impossible : %w", a.cfg.Addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
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
		runner.stop()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(a.stdout, "Arrêt de Sillage…")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	runner.stop()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
