package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestRoutesLikeTheLoadBalancer(t *testing.T) {
	backend := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.URL.RequestURI())
		}))
	}
	gw, ui := backend("gateway"), backend("ui")
	defer gw.Close()
	defer ui.Close()
	host := func(s *httptest.Server) string { u, _ := url.Parse(s.URL); return "localhost:" + u.Port() }
	entry := httptest.NewServer(handler(host(gw), host(ui)))
	defer entry.Close()
	for path, want := range map[string]string{
		"/api/inventory/items?limit=5": "gateway /api/inventory/items?limit=5",
		"/api":                         "gateway /api",
		"/":                            "ui /",
		"/static/app.js":               "ui /static/app.js",
		"/apiary":                      "ui /apiary",
		"/-/entry":                     "ok\n",
	} {
		resp, err := http.Get(entry.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("%s: got %q, want %q", path, b, want)
		}
	}
}

func TestUnreachableUpstreamIs502(t *testing.T) {
	entry := httptest.NewServer(handler("localhost:1", "localhost:1"))
	defer entry.Close()
	resp, err := http.Get(entry.URL + "/api/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
}
