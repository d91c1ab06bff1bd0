// Command entry is the local environment's public entry, standing in for the
// AWS load balancer: a reverse proxy published on 127.0.0.1 that sends
// /api/* to the gateway and everything else to the UI, as the ALB's listener
// rules do. It resolves the upstream's Docker network alias on every request
// and tries its addresses in random order, so every replica behind an alias
// serves and a replica that is shutting down is skipped.
//
// Configuration: ENTRY_ADDR (default :8080), ENTRY_API (default gateway:8080),
// ENTRY_DEFAULT (default ui:8080). /-/entry answers 200 for the kit's own
// readiness wait.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// dial resolves host on every call and tries each address in random order.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	rand.Shuffle(len(ips), func(i, j int) { ips[i], ips[j] = ips[j], ips[i] })
	d := net.Dialer{Timeout: 2 * time.Second}
	var errs []error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("%s: no replica answers: %w", host, errors.Join(errs...))
}

func proxy(hostport string) *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: hostport}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{
		DialContext: dial,
		// A fresh connection per request re-resolves the alias, so replicas
		// share the load and replaced ones drop out at once.
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		log.Printf("%s %s → %s: %v", r.Method, r.URL.Path, hostport, err)
		http.Error(w, "entry: upstream "+hostport+" unavailable", http.StatusBadGateway)
	}
	return rp
}

// handler routes as the ALB's listener rules do.
func handler(apiUpstream, defaultUpstream string) http.Handler {
	api, def := proxy(apiUpstream), proxy(defaultUpstream)
	mux := http.NewServeMux()
	mux.HandleFunc("/-/entry", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		def.ServeHTTP(w, r)
	})
	return mux
}

func main() {
	mux := handler(env("ENTRY_API", "gateway:8080"), env("ENTRY_DEFAULT", "ui:8080"))
	srv := &http.Server{Addr: env("ENTRY_ADDR", ":8080"), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("entry on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
