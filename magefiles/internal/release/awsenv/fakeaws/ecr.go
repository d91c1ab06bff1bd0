package fakeaws

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

type image struct {
	digest, manifest, mediaType string
	tags                        []string
	pushed                      time.Time
}

type repository struct {
	name      string
	immutable bool
	images    []*image
}

func (r *repository) byTag(tag string) *image {
	for _, im := range r.images {
		for _, t := range im.tags {
			if t == tag {
				return im
			}
		}
	}
	return nil
}

func (r *repository) byDigest(d string) *image {
	for _, im := range r.images {
		if im.digest == d {
			return im
		}
	}
	return nil
}

type ecrState struct {
	repos map[string]*repository
	// inner is the OCI registry holding blobs and manifests for docker.
	inner http.Handler
}

func newECR() *ecrState {
	return &ecrState{repos: map[string]*repository{}, inner: registry.New(registry.Logger(discardLogger()))}
}

type imageID struct {
	ImageTag    string `json:"imageTag,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
}

func (f *Fake) ecrOp(rg *region, op string, body []byte) (any, error) {
	s := rg.ecr
	var in struct {
		RepositoryName, ImageManifest, ImageManifestMediaType, ImageTag, ImageDigest, NextToken string
		ImageIds                                                                                []imageID
		MaxResults                                                                              int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if op == "GetAuthorizationToken" {
		tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + f.regPassword))
		return map[string]any{"authorizationData": []any{map[string]any{
			"authorizationToken": tok, "expiresAt": epoch(f.Clock.Now().Add(12 * time.Hour)), "proxyEndpoint": "http://" + f.regHost,
		}}}, nil
	}
	if op == "DescribeRepositories" {
		return f.describeRepositories(s, body)
	}
	repo := s.repos[in.RepositoryName]
	if repo == nil {
		return nil, clientErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, f.o.Account)
	}
	switch op {
	case "DescribeImages":
		var found []*image
		if len(in.ImageIds) > 0 {
			for _, id := range in.ImageIds {
				im := repo.find(id)
				if im == nil {
					return nil, clientErr("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
						nullable(id.ImageDigest), nullable(id.ImageTag), repo.name, f.o.Account)
				}
				found = append(found, im)
			}
		} else {
			found = repo.images
		}
		items, next, err := page(f, found, in.NextToken, in.MaxResults)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, im := range items {
			d := map[string]any{"registryId": f.o.Account, "repositoryName": repo.name, "imageDigest": im.digest,
				"imageSizeInBytes": len(im.manifest), "imagePushedAt": epoch(im.pushed), "imageManifestMediaType": im.mediaType}
			if len(im.tags) > 0 {
				d["imageTags"] = im.tags
			}
			out = append(out, d)
		}
		res := map[string]any{"imageDetails": out}
		if next != "" {
			res["nextToken"] = next
		}
		return res, nil
	case "BatchGetImage":
		imgs, fails := []any{}, []any{}
		for _, id := range in.ImageIds {
			im := repo.find(id)
			if im == nil {
				code := "ImageNotFound"
				if id.ImageTag != "" {
					code = "ImageTagDoesNotExist"
				}
				fails = append(fails, map[string]any{"imageId": id, "failureCode": code, "failureReason": "Requested image not found"})
				continue
			}
			imgs = append(imgs, map[string]any{"registryId": f.o.Account, "repositoryName": repo.name,
				"imageId": imageID{ImageTag: id.ImageTag, ImageDigest: im.digest}, "imageManifest": im.manifest, "imageManifestMediaType": im.mediaType})
		}
		return map[string]any{"images": imgs, "failures": fails}, nil
	case "PutImage":
		im, err := f.putImage(repo, in.ImageManifest, in.ImageManifestMediaType, in.ImageTag)
		if err != nil {
			return nil, err
		}
		if err := s.storeManifest(repo.name, in.ImageTag, im); err != nil {
			return nil, err
		}
		return map[string]any{"image": map[string]any{"registryId": f.o.Account, "repositoryName": repo.name,
			"imageId": imageID{ImageTag: in.ImageTag, ImageDigest: im.digest}, "imageManifest": im.manifest, "imageManifestMediaType": im.mediaType}}, nil
	}
	return nil, clientErr("UnknownOperationException", "ecr:%s is not modelled", op)
}

func nullable(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func (r *repository) find(id imageID) *image {
	if id.ImageDigest != "" {
		im := r.byDigest(id.ImageDigest)
		if im != nil && id.ImageTag != "" && r.byTag(id.ImageTag) != im {
			return nil
		}
		return im
	}
	return r.byTag(id.ImageTag)
}

// putImage records a manifest under a tag with ECR's rules: the same
// manifest under the same tag is ImageAlreadyExistsException; another one
// under an existing tag of an IMMUTABLE repository is
// ImageTagAlreadyExistsException; in a MUTABLE one the tag moves.
func (f *Fake) putImage(repo *repository, manifest, mediaType, tag string) (*image, error) {
	if manifest == "" {
		return nil, clientErr("InvalidParameterException", "imageManifest is required")
	}
	if mediaType == "" {
		var m struct{ MediaType string }
		_ = json.Unmarshal([]byte(manifest), &m)
		mediaType = m.MediaType
	}
	sum := sha256.Sum256([]byte(manifest))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if tag != "" {
		if old := repo.byTag(tag); old != nil {
			if old.digest == digest {
				return nil, clientErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, tag, repo.name, f.o.Account)
			}
			if repo.immutable {
				return nil, clientErr("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo.name)
			}
			for i, t := range old.tags {
				if t == tag {
					old.tags = append(old.tags[:i:i], old.tags[i+1:]...)
					break
				}
			}
		}
	}
	im := repo.byDigest(digest)
	if im == nil {
		im = &image{digest: digest, manifest: manifest, mediaType: mediaType}
		repo.images = append(repo.images, im)
	}
	im.pushed = f.Clock.Now()
	if tag != "" {
		im.tags = append(im.tags, tag)
	}
	return im, nil
}

// storeManifest puts a manifest into the inner registry so docker can pull it.
func (s *ecrState) storeManifest(repo, tag string, im *image) error {
	ref := tag
	if ref == "" {
		ref = im.digest
	}
	req := httptest.NewRequest(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, strings.NewReader(im.manifest))
	req.Header.Set("Content-Type", im.mediaType)
	rec := httptest.NewRecorder()
	s.inner.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		return fmt.Errorf("fakeaws: storing %s:%s: %d %s", repo, ref, rec.Code, rec.Body.String())
	}
	return nil
}

// CreateRepository seeds an ECR repository in the default region.
func (f *Fake) CreateRepository(name string, immutable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regionState(f.o.Region).ecr.repos[name] = &repository{name: name, immutable: immutable}
}

// PutImage seeds an image (a small distinct manifest made from content)
// under tags and returns its digest.
func (f *Fake) PutImage(repo, content string, tags ...string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.regionState(f.o.Region).ecr
	r := s.repos[repo]
	if r == nil {
		return "", fmt.Errorf("fakeaws: no repository %s", repo)
	}
	cfg := sha256.Sum256([]byte(content))
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[]}`,
		hex.EncodeToString(cfg[:]), len(content))
	var im *image
	for _, t := range tags {
		var err error
		if im, err = f.putImage(r, manifest, "", t); err != nil {
			return "", err
		}
	}
	return im.digest, nil
}

// ImageTags returns tag → digest of a repository in the default region.
func (f *Fake) ImageTags(repo string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	if r := f.regionState(f.o.Region).ecr.repos[repo]; r != nil {
		for _, im := range r.images {
			for _, t := range im.tags {
				out[t] = im.digest
			}
		}
	}
	return out
}

var (
	manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	blobPath     = regexp.MustCompile(`^/v2/(.+)/blobs/(uploads/.*|sha256:[0-9a-f]{64})$`)
)

// registryHandler is the registry ECR's authorization token logs into: the
// OCI distribution API (go-containerregistry's registry, as the local
// environment's registry uses), behind basic auth with the token's password,
// with ECR's repository and tag rules on manifest PUTs. Each request is
// recorded as the IAM action ECR checks for it.
func (f *Fake) registryHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		if !ok || user != "AWS" || pw != f.regPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="fakeaws ECR"`)
			writeRegistryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
		if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
			w.WriteHeader(http.StatusOK)
			return
		}
		f.mu.Lock()
		s := f.regionState(f.o.Region).ecr
		f.mu.Unlock()
		var repoName, action string
		if m := manifestPath.FindStringSubmatch(r.URL.Path); m != nil {
			repoName, action = m[1], "ecr:BatchGetImage"
			if r.Method == http.MethodPut {
				action = "ecr:PutImage"
			}
		} else if m := blobPath.FindStringSubmatch(r.URL.Path); m != nil {
			repoName = m[1]
			switch {
			case r.Method == http.MethodHead:
				action = "ecr:BatchCheckLayerAvailability"
			case r.Method == http.MethodGet:
				action = "ecr:GetDownloadUrlForLayer"
			case r.Method == http.MethodPost:
				action = "ecr:InitiateLayerUpload"
			case r.Method == http.MethodPatch:
				action = "ecr:UploadLayerPart"
			default:
				action = "ecr:CompleteLayerUpload"
			}
		} else {
			writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN", "unsupported path")
			return
		}
		f.record(action)
		f.mu.Lock()
		repo := s.repos[repoName]
		f.mu.Unlock()
		if repo == nil {
			writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repoName, f.o.Account))
			return
		}
		if action != "ecr:PutImage" {
			s.inner.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeRegistryError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		ref := manifestPath.FindStringSubmatch(r.URL.Path)[2]
		tag := ""
		if !strings.HasPrefix(ref, "sha256:") {
			tag = ref
		}
		f.mu.Lock()
		_, err = f.putImage(repo, string(body), r.Header.Get("Content-Type"), tag)
		f.mu.Unlock()
		if ae, ok := err.(*apiError); ok && ae.code == "ImageTagAlreadyExistsException" {
			// What ECR answers docker for an immutable tag.
			writeRegistryError(w, http.StatusBadRequest, "TAG_INVALID", ae.msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.inner.ServeHTTP(w, r)
	})
}

func writeRegistryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]string{"code": code, "message": msg}}})
}

// describeRepositories answers the named repositories (all when none is
// named); a named one that does not exist is RepositoryNotFoundException.
func (f *Fake) describeRepositories(s *ecrState, body []byte) (any, error) {
	var in struct {
		RepositoryNames []string
		NextToken       string
		MaxResults      int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	names := in.RepositoryNames
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(s.repos))
	}
	var found []*repository
	for _, n := range names {
		r := s.repos[n]
		if r == nil {
			return nil, clientErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", n, f.o.Account)
		}
		found = append(found, r)
	}
	items, next, err := page(f, found, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, r := range items {
		mut := "MUTABLE"
		if r.immutable {
			mut = "IMMUTABLE"
		}
		out = append(out, map[string]any{"registryId": f.o.Account, "repositoryName": r.name, "repositoryUri": f.regHost + "/" + r.name,
			"repositoryArn": fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", f.o.Region, f.o.Account, r.name), "imageTagMutability": mut})
	}
	res := map[string]any{"repositories": out}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}

// Repositories lists the repositories of the default region, sorted.
func (f *Fake) Repositories() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.regionState(f.o.Region).ecr.repos))
}
