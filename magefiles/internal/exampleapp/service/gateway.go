package service

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// Gateway timeouts: a backend that does not accept a connection or answer
// within these is reported as 502/504 instead of holding the client.
const (
	UpstreamDialTimeout   = 3 * time.Second
	UpstreamHeaderTimeout = 15 * time.Second
)

// SplitAPIPath maps a gateway path to its backend: "/api/<service>/<rest>"
// → (service, "/<rest>"), "/api/<service>" → (service, "/"). It works on the
// escaped path so encoded characters in <rest> reach the backend unchanged.
// ok is false when the path is not under /api/ or names no service.
func SplitAPIPath(escapedPath string) (service, rest string, ok bool) {
	after, found := strings.CutPrefix(escapedPath, "/api/")
	if !found {
		return "", "", false
	}
	service, rest, hasRest := strings.Cut(after, "/")
	if service == "" {
		return "", "", false
	}
	if !hasRest {
		return service, "/", true
	}
	return service, "/" + rest, true
}

func (a *App) routeGateway(mux *http.ServeMux) {
	// The gateway's own health, reachable through the load balancer's /api/*.
	mux.HandleFunc("GET /api/healthz", a.healthz)
	mux.HandleFunc("GET /api/readyz", a.readyz)
	transport := &http.Transport{
		Proxy:                 nil, // never route service-to-service traffic through an env proxy
		DialContext:           (&net.Dialer{Timeout: UpstreamDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: UpstreamHeaderTimeout,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       30 * time.Second, // short: replicas come and go behind one name
	}
	proxies := make(map[string]*httputil.ReverseProxy, len(a.cfg.Upstreams))
	for name, target := range a.cfg.Upstreams {
		proxies[name] = a.newProxy(name, target, transport)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		svc, _, ok := SplitAPIPath(r.URL.EscapedPath())
		p := proxies[svc]
		if !ok || p == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no service %q behind the gateway (known: %s)", svc, joinSorted(keys(proxies))))
			return
		}
		p.ServeHTTP(w, r)
	})
}

func (a *App) newProxy(name string, target *url.URL, transport http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			_, rest, _ := SplitAPIPath(pr.In.URL.EscapedPath())
			pr.SetURL(target)
			// The request line already parsed, so rest unescapes; RawPath keeps
			// encoded characters (%2F) as the client sent them.
			pr.Out.URL.Path, _ = url.PathUnescape(rest)
			pr.Out.URL.RawPath = rest
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status := http.StatusBadGateway
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				status = http.StatusGatewayTimeout
			}
			a.log.Warn("upstream failed", "upstream", name, "upstream_path", r.URL.Path, "err", err)
			writeError(w, status, fmt.Sprintf("%s service unavailable", name))
		},
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
