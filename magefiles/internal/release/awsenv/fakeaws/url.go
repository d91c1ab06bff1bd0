package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"sort"
	"strings"
)

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// Route sends requests whose path starts with prefix through services (in
// order: the first is the one the load balancer targets). The longest
// prefix wins.
func (f *Fake) Route(cluster, prefix string, services ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.routes == nil {
		f.routes = map[string][]string{}
	}
	f.routes[prefix] = services
	f.routeCluster = cluster
}

// serveURL answers the environment's public URL from the revisions the
// routed services run: 503 when one of them runs a revision marked Broken
// (or runs nothing), else 200 naming the service and its APP_VERSION.
func (f *Fake) serveURL(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rg := f.regionState(f.o.Region)
	f.advance(rg)
	var prefixes []string
	for p := range f.routes {
		prefixes = append(prefixes, p)
	}
	sort.Slice(prefixes, func(i, j int) bool { return len(prefixes[i]) > len(prefixes[j]) })
	var chain []string
	for _, p := range prefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			chain = f.routes[p]
			break
		}
	}
	if chain == nil {
		http.NotFound(w, r)
		return
	}
	versions := map[string]string{}
	for _, name := range chain {
		sv := rg.ecs.services[f.routeCluster+"/"+name]
		if sv == nil {
			http.Error(w, "502 Bad Gateway: no service "+name, http.StatusBadGateway)
			return
		}
		serving := ""
		for _, d := range sv.deployments {
			if d.running > 0 || (d.status == "ACTIVE" && d.rollout != "FAILED") {
				serving = d.td
				if d.status == "PRIMARY" {
					break
				}
			}
		}
		if serving == "" || f.behaviour(rg, serving) == Broken {
			http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		versions[name] = appVersion(rg.ecs.lookupTD(serving))
	}
	if strings.HasSuffix(r.URL.Path, "/") {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!doctype html><html><head><title>equiptrack</title></head><body>%s</body></html>", versions[chain[0]])
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"service": chain[len(chain)-1], "versions": versions})
}

func appVersion(td map[string]any) string {
	cds, _ := td["containerDefinitions"].([]any)
	for _, c := range cds {
		m, _ := c.(map[string]any)
		env, _ := m["environment"].([]any)
		for _, e := range env {
			kv, _ := e.(map[string]any)
			if kv["name"] == "APP_VERSION" {
				v, _ := kv["value"].(string)
				return v
			}
		}
	}
	return ""
}
