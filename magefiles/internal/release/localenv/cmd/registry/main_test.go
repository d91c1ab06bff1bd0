package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// push uploads one blob (the config) and a manifest referencing it under tag.
func push(t *testing.T, url, repo, tag string, config []byte) (*http.Response, []byte) {
	t.Helper()
	cd := digestOf(config)
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", url, repo, cd), bytes.NewReader(config))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("blob upload: %d", resp.StatusCode)
	}
	m := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, cd, len(config)))
	req, _ = http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v2/%s/manifests/%s", url, repo, tag), bytes.NewReader(m))
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	return resp, m
}

func head(t *testing.T, url, repo, tag string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, fmt.Sprintf("%s/v2/%s/manifests/%s", url, repo, tag), nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Docker-Content-Digest")
}

func TestTagsAreImmutableAndSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	s, n, err := newServer(dir)
	if err != nil || n != 0 {
		t.Fatalf("new: %d %v", n, err)
	}
	srv := httptest.NewServer(s)
	resp, m1 := push(t, srv.URL, "app/ui", "v1.0.0", []byte(`{"a":1}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first push: %d", resp.StatusCode)
	}
	// The same content again is fine (a retried push).
	if resp, _ := push(t, srv.URL, "app/ui", "v1.0.0", []byte(`{"a":1}`)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("identical re-push: %d", resp.StatusCode)
	}
	// Other content under the same tag is refused.
	resp, _ = push(t, srv.URL, "app/ui", "v1.0.0", []byte(`{"a":2}`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("moving the tag: %d, want 400", resp.StatusCode)
	}
	if code, d := head(t, srv.URL, "app/ui", "v1.0.0"); code != 200 || d != digestOf(m1) {
		t.Fatalf("after the refused push: %d %s, want %s", code, d, digestOf(m1))
	}
	srv.Close()
	s.journal.Close()

	// A restart (a new server on the same directory) restores the tag, its
	// blob and its immutability.
	s2, n, err := newServer(dir)
	if err != nil || n != 1 {
		t.Fatalf("restart: %d manifests, %v; want 1", n, err)
	}
	srv2 := httptest.NewServer(s2)
	defer srv2.Close()
	if code, d := head(t, srv2.URL, "app/ui", "v1.0.0"); code != 200 || d != digestOf(m1) {
		t.Fatalf("after restart: %d %s, want %s", code, d, digestOf(m1))
	}
	if code, _ := head(t, srv2.URL, "app/ui", "v9.9.9"); code != 404 {
		t.Fatalf("unknown tag: %d, want 404", code)
	}
	if resp, _ := push(t, srv2.URL, "app/ui", "v1.0.0", []byte(`{"a":3}`)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("moving the tag after restart: %d, want 400", resp.StatusCode)
	}
	resp2, err := http.Get(srv2.URL + "/v2/app/ui/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	_, _ = b.ReadFrom(resp2.Body)
	resp2.Body.Close()
	if !strings.Contains(b.String(), `"v1.0.0"`) {
		t.Errorf("tags list: %s", b)
	}
}

func TestManifestPath(t *testing.T) {
	for p, want := range map[string][2]string{
		"/v2/app/ui/manifests/v1.0.0":     {"app/ui", "v1.0.0"},
		"/v2/a/b/c/manifests/sha256:0123": {"a/b/c", "sha256:0123"},
		"/v2/app/ui/blobs/sha256:0123":    {"", ""},
		"/v1/app/manifests/x":             {"", ""},
	} {
		repo, target, ok := manifestPath(p)
		if ok != (want[0] != "") || repo != want[0] || target != want[1] {
			t.Errorf("%s: %q %q %v", p, repo, target, ok)
		}
	}
}
