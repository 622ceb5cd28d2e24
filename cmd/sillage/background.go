package main

import (
	"context"

	"github.com/sillage/sillage/internal/web"
)

// background is what runs beside the web server: the durable jobs.
type background struct {
	stops []func()
}

func (b *background) stop() {
	for i := len(b.stops) - 1; i >= 0; i-- {
		b.stops[i]()
	}
}

// backgroundStarters are filled by the capabilities that run jobs; each may
// also set hooks on the web server's dependencies.
var backgroundStarters []func(ctx context.Context, a *app, deps *web.Deps) (stop func(), err error)

func (a *app) startBackground(ctx context.Context, deps *web.Deps) (*background, error) {
	b := &background{}
	for _, start := range backgroundStarters {
		stop, err := start(ctx, a, deps)
		if err != nil {
			b.stop()
			return nil, err
		}
		if stop != nil {
			b.stops = append(b.stops, stop)
		}
	}
	return b, nil
}
