package localenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"

	"github.com/equiptrack/release-kit/magefiles/internal/release/version"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

var manifestAccept = strings.Join([]string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}, ", ")

var httpClient = &http.Client{Timeout: 10 * time.Second}

// Resolve asks the registry for every named image of the version at once.
// The local registry has no batch call: one HEAD per image, all in flight
// together, so a release still waits for one round trip.
func (e *Env) Resolve(ctx context.Context, version string, images []string) (pipeline.Artifacts, error) {
	arts := make([]pipeline.Artifact, len(images))
	errs := make([]error, len(images))
	var wg sync.WaitGroup
	for i, n := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d string
			d, errs[i] = e.digest(ctx, n, version)
			arts[i] = e.artifact(n, version, d)
		}()
	}
	wg.Wait()
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	out := pipeline.Artifacts{}
	for i, n := range images {
		out[n] = arts[i]
	}
	return out, nil
}

// artifact names an image by digest in this registry ("" digest: absent).
func (e *Env) artifact(service, version, digest string) pipeline.Artifact {
	a := pipeline.Artifact{Service: service, Version: version}
	if digest != "" {
		a.Digest, a.Ref = digest, e.RegistryHost()+"/"+e.repo(service)+"@"+digest
	}
	return a
}

// digest asks the registry for service:tag (a HEAD request): the digest, or
// "" when the tag is absent.
func (e *Env) digest(ctx context.Context, service, tag string) (string, error) {
	u := fmt.Sprintf("http://%s/v2/%s/manifests/%s", e.RegistryHost(), e.repo(service), tag)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry %s: %w (is it running? go run magefile.go local:up)", e.RegistryHost(), err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		d := resp.Header.Get("Docker-Content-Digest")
		if !strings.HasPrefix(d, "sha256:") {
			return "", fmt.Errorf("registry %s: %s:%s has no digest header", e.RegistryHost(), service, tag)
		}
		return d, nil
	case http.StatusNotFound:
		return "", nil
	}
	return "", fmt.Errorf("registry %s: HEAD %s:%s answered %d", e.RegistryHost(), service, tag, resp.StatusCode)
}

var pushedDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

// Push pushes a built image. When the tag already exists the image must be
// the one the registry holds (the local image's repo digests name it);
// otherwise the push is refused: tags are immutable. The registry refuses
// such a push too — the kit's check just says it better, and earlier.
func (e *Env) Push(ctx context.Context, img pipeline.Image) (pipeline.Artifact, error) {
	have, err := e.digest(ctx, img.Service, img.Version)
	if err != nil {
		return pipeline.Artifact{}, err
	}
	if have != "" {
		local, err := e.repoDigests(ctx, img.Ref)
		if err != nil {
			return pipeline.Artifact{}, err
		}
		for _, d := range local {
			if d == have {
				return e.artifact(img.Service, img.Version, have), nil // this very image is already there
			}
		}
		return pipeline.Artifact{}, fmt.Errorf("%s exists in the registry as %s and the local image is different (rebuilt?): %w",
			img.Ref, have, pipeline.ErrImmutableTag)
	}
	out, err := cli.docker(ctx, "push", img.Ref)
	if err != nil {
		return pipeline.Artifact{}, err
	}
	m := pushedDigest.FindStringSubmatch(out)
	if m == nil {
		return pipeline.Artifact{}, fmt.Errorf("docker push %s printed no digest: %s", img.Ref, strings.ReplaceAll(sh.Tail(out, 3), "\n", " / "))
	}
	// Trust, but verify: the registry must now hold what Docker pushed.
	got, err := e.digest(ctx, img.Service, img.Version)
	if err != nil {
		return pipeline.Artifact{}, err
	}
	if got != m[1] {
		return pipeline.Artifact{}, fmt.Errorf("pushed %s as %s but the registry holds %q", img.Ref, m[1], got)
	}
	return e.artifact(img.Service, img.Version, got), nil
}

// repoDigests lists the registry digests Docker knows for a local image
// (for this registry's repository only).
func (e *Env) repoDigests(ctx context.Context, ref string) ([]string, error) {
	out, err := cli.docker(ctx, "image", "inspect", "--format", "{{json .RepoDigests}}", ref)
	if err != nil {
		return nil, fmt.Errorf("%s is not built on this machine: %w", ref, err)
	}
	var rds []string
	if err := json.Unmarshal([]byte(out), &rds); err != nil {
		return nil, fmt.Errorf("docker image inspect %s: %w", ref, err)
	}
	repo := ref[:strings.LastIndex(ref, ":")]
	var ds []string
	for _, rd := range rds {
		if r, d, ok := strings.Cut(rd, "@"); ok && r == repo {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// Versions lists the tags the registry holds for a service (for local:up's
// "newest version already in the registry" and local:status).
func (e *Env) Versions(ctx context.Context, service string) ([]string, error) {
	u := fmt.Sprintf("http://%s/v2/%s/tags/list", e.RegistryHost(), e.repo(service))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", e.RegistryHost(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("registry %s: tags of %s answered %d", e.RegistryHost(), service, resp.StatusCode)
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("registry %s: tags of %s: %w", e.RegistryHost(), service, err)
	}
	return body.Tags, nil
}

// NewestVersion returns the highest vX.Y.Z whose images (every service's and
// the seeder's) are all in the registry, or "".
func (e *Env) NewestVersion(ctx context.Context) (string, error) {
	count := map[string]int{}
	names := append(e.m.Names(), pipeline.SeederImage)
	for _, n := range names {
		tags, err := e.Versions(ctx, n)
		if err != nil {
			return "", err
		}
		for _, t := range tags {
			count[t]++
		}
	}
	best, bestV := "", version.SemverOf{}
	for t, c := range count {
		v, err := version.ParseSemver(t)
		if err != nil || c != len(names) {
			continue
		}
		if best == "" || bestV.Less(v) {
			best, bestV = t, v
		}
	}
	return best, nil
}
