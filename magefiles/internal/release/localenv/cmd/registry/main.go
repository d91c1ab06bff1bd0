// Command registry is the local environment's image registry: the OCI
// distribution API of go-containerregistry's registry package, with blobs on
// disk and manifests journaled to disk (the package keeps them in memory) and
// replayed at start, so images survive a restart of the container. Tags are
// immutable, as in the kit's ECR repositories: a manifest PUT that would move
// an existing tag to other content is refused.
//
// It is built as a static binary and run FROM scratch by the kit (localenv);
// Docker pushes to it over plain HTTP because it is published on 127.0.0.1,
// which Docker treats as an insecure registry by default.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

type entry struct {
	Repo        string `json:"repo"`
	Target      string `json:"target"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

type server struct {
	inner   http.Handler
	mu      sync.Mutex
	journal *os.File
	// tags: repo:tag → digest, for immutability.
	tags map[string]string
}

func main() {
	addr := flag.String("addr", ":5000", "listen address")
	dir := flag.String("dir", "/data", "storage directory")
	flag.Parse()
	if err := run(*addr, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run(addr, dir string) error {
	s, n, err := newServer(dir)
	if err != nil {
		return err
	}
	log.Printf("registry on %s, %d manifests restored from %s", addr, n, dir)
	srv := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 30 * time.Second}
	return srv.ListenAndServe()
}

// newServer opens the storage in dir and replays the journal; it returns
// how many manifests were restored.
func newServer(dir string) (*server, int, error) {
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, 0, err
	}
	s := &server{
		inner: registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(blobs)),
			registry.Logger(log.New(io.Discard, "", 0))),
		tags: map[string]string{},
	}
	path := filepath.Join(dir, "manifests.jsonl")
	n, err := s.replay(path)
	if err != nil {
		return nil, 0, fmt.Errorf("replaying %s: %w", path, err)
	}
	if s.journal, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return nil, 0, err
	}
	return s, n, nil
}

// manifestPath splits /v2/<repo>/manifests/<target>.
func manifestPath(p string) (repo, target string, ok bool) {
	if !strings.HasPrefix(p, "/v2/") {
		return "", "", false
	}
	i := strings.LastIndex(p, "/manifests/")
	if i < 0 {
		return "", "", false
	}
	return p[len("/v2/"):i], p[i+len("/manifests/"):], true
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, target, ok := manifestPath(r.URL.Path)
	if !ok || r.Method != http.MethodPut {
		s.inner.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	already := false
	if !strings.HasPrefix(target, "sha256:") {
		have, ok := s.tags[repo+":"+target]
		already = ok && have == digest
		if ok && have != digest {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"tag %s:%s is immutable: it holds %s"}]}`, repo, target, have)
			return
		}
	}
	e := entry{Repo: repo, Target: target, ContentType: r.Header.Get("Content-Type"), Body: body}
	rec := httptest.NewRecorder()
	s.apply(rec, e)
	if rec.Code == http.StatusCreated && !already {
		line, _ := json.Marshal(e)
		if _, err := s.journal.Write(append(line, '\n')); err != nil {
			http.Error(w, "journal: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if err := s.journal.Sync(); err != nil {
			http.Error(w, "journal: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if !strings.HasPrefix(target, "sha256:") {
			s.tags[repo+":"+target] = digest
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *server) apply(w http.ResponseWriter, e entry) {
	req := httptest.NewRequest(http.MethodPut, "/v2/"+e.Repo+"/manifests/"+e.Target, bytes.NewReader(e.Body))
	req.Header.Set("Content-Type", e.ContentType)
	s.inner.ServeHTTP(w, req)
}

func (s *server) replay(path string) (int, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 32<<20)
	n := 0
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A torn last line after a crash: everything before it stands.
			log.Printf("skipping an unreadable journal line: %v", err)
			continue
		}
		rec := httptest.NewRecorder()
		s.apply(rec, e)
		if rec.Code != http.StatusCreated {
			log.Printf("replay of %s:%s answered %d", e.Repo, e.Target, rec.Code)
			continue
		}
		if !strings.HasPrefix(e.Target, "sha256:") {
			sum := sha256.Sum256(e.Body)
			s.tags[e.Repo+":"+e.Target] = "sha256:" + hex.EncodeToString(sum[:])
		}
		n++
	}
	return n, sc.Err()
}
