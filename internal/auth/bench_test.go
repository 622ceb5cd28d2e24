package auth

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSignIn checks passwords from many concurrent sign-ins. Each
// Argon2id check takes 64 MiB; MaxConcurrentHashes bounds how many run at
// once, so memory stays bounded whatever the load. It reports sign-ins/s
// and the peak memory the Go runtime obtained from the system.
func BenchmarkSignIn(b *testing.B) {
	hash, err := HashPassword(context.Background(), "mot-de-passe-2026")
	if err != nil {
		b.Fatal(err)
	}
	for _, clients := range []int{1, 2, 4, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runtime.GC()
			debug.FreeOSMemory()
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				t := time.NewTicker(5 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						runtime.ReadMemStats(&ms)
						if v := ms.Sys; v > peak.Load() {
							peak.Store(v)
						}
					}
				}
			}()
			var done atomic.Int64
			start := time.Now()
			for b.Loop() {
				var wg sync.WaitGroup
				for c := 0; c < clients; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if ok, err := CheckPassword(context.Background(), "mot-de-passe-2026", hash); !ok || err != nil {
							b.Error("check failed", err)
						}
						done.Add(1)
					}()
				}
				wg.Wait()
			}
			elapsed := time.Since(start)
			close(stop)
			<-sampled
			b.ReportMetric(float64(done.Load())/elapsed.Seconds(), "signins/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
		})
	}
}
