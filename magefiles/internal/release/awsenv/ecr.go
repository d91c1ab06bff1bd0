package awsenv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

type ecrAPI interface {
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
}

// repoName is the repository name of a repository URL
// (acct.dkr.ecr.region.amazonaws.com/name → name).
func repoName(url string) string {
	_, name, _ := strings.Cut(url, "/")
	return name
}

// ImageRef is where the builder tags an image of the environment.
func (e *Env) ImageRef(service, tag string) (string, error) {
	sf, ok := e.Facts.image(service)
	if !ok {
		return "", fmt.Errorf("%s is not in the %s environment's facts", service, e.o.Env)
	}
	return sf.Repository + ":" + tag, nil
}

// Resolve asks ECR for every image of the version: each service has its
// own repository, so it is one BatchGetImage per repository, all at once
// (an absent tag is a failure entry, not an error).
func (e *Env) Resolve(ctx context.Context, version string, images []string) (pipeline.Artifacts, error) {
	for _, n := range images {
		if _, ok := e.Facts.image(n); !ok {
			return nil, fmt.Errorf("%s is not in the %s environment's facts", n, e.o.Env)
		}
	}
	out := pipeline.Artifacts{}
	var mu sync.Mutex
	err := forEach(images, func(n string) error {
		sf, _ := e.Facts.image(n)
		res, err := e.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{
			RepositoryName: aws.String(repoName(sf.Repository)),
			ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(version)}},
			AcceptedMediaTypes: []string{
				"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
				"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
			},
		})
		if err != nil {
			return fmt.Errorf("asking ECR for %s:%s: %w", n, version, err)
		}
		a := pipeline.Artifact{Service: n, Version: version}
		if len(res.Images) > 0 && res.Images[0].ImageId != nil {
			a.Digest = aws.ToString(res.Images[0].ImageId.ImageDigest)
			a.Ref = sf.Repository + "@" + a.Digest
		}
		mu.Lock()
		out[n] = a
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var pushedDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

// Push pushes a built image with docker, logged in through an ECR
// authorization token written to a Docker config private to this push
// (never printed, removed afterwards). A tag that ECR already holds is
// checked instead: the same content is a no-op, other content in an
// IMMUTABLE repository is ErrImmutableTag. Dev also pushes the image's
// `latest` tag when the builder made one.
func (e *Env) Push(ctx context.Context, img pipeline.Image) (pipeline.Artifact, error) {
	arts, err := e.Resolve(ctx, img.Version, []string{img.Service})
	if err != nil {
		return pipeline.Artifact{}, err
	}
	have := arts[img.Service]
	if have.Present() {
		local, err := repoDigests(ctx, img.Ref)
		if err != nil {
			return pipeline.Artifact{}, err
		}
		for _, d := range local {
			if d == have.Digest {
				return have, nil
			}
		}
		if e.Facts.RegistryImmutable {
			return pipeline.Artifact{}, fmt.Errorf("%s exists in ECR as %s and the local image is different (rebuilt?): %w", img.Ref, have.Digest, pipeline.ErrImmutableTag)
		}
	}
	cfgDir, err := e.dockerLogin(ctx)
	if err != nil {
		return pipeline.Artifact{}, err
	}
	defer os.RemoveAll(cfgDir)
	out, err := sh.Options{Combined: true}.Run(ctx, "docker", "--config", cfgDir, "push", img.Ref)
	if err != nil {
		if strings.Contains(err.Error(), "tag invalid") || strings.Contains(err.Error(), "cannot be overwritten because the repository is immutable") {
			return pipeline.Artifact{}, fmt.Errorf("push %s: %v: %w", img.Ref, err, pipeline.ErrImmutableTag)
		}
		return pipeline.Artifact{}, fmt.Errorf("push %s: %w", img.Ref, err)
	}
	m := pushedDigest.FindStringSubmatch(out)
	if m == nil {
		return pipeline.Artifact{}, fmt.Errorf("push %s: no digest in docker's output", img.Ref)
	}
	repo := strings.TrimSuffix(img.Ref, ":"+img.Version)
	if !e.Facts.RegistryImmutable {
		latest := repo + ":latest"
		if _, err := sh.Output(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", latest); err == nil {
			if _, err := (sh.Options{Combined: true}).Run(ctx, "docker", "--config", cfgDir, "push", latest); err != nil {
				return pipeline.Artifact{}, fmt.Errorf("push %s: %w", latest, err)
			}
		}
	}
	return pipeline.Artifact{Service: img.Service, Version: img.Version, Digest: m[1], Ref: repo + "@" + m[1]}, nil
}

// dockerLogin writes a Docker config holding ECR's token for the registry
// and returns its directory. The token goes into a 0600 file, not into an
// argument or the environment of a command.
func (e *Env) dockerLogin(ctx context.Context) (string, error) {
	tok, err := e.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", fmt.Errorf("ECR authorization token: %w", err)
	}
	if len(tok.AuthorizationData) == 0 {
		return "", errors.New("ECR returned no authorization data")
	}
	ad := tok.AuthorizationData[0]
	if _, err := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken)); err != nil {
		return "", errors.New("ECR's authorization token is not base64")
	}
	host := strings.TrimPrefix(strings.TrimPrefix(aws.ToString(ad.ProxyEndpoint), "https://"), "http://")
	dir, err := os.MkdirTemp("", "equiptrack-docker-")
	if err != nil {
		return "", err
	}
	js, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": aws.ToString(ad.AuthorizationToken)}}})
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "config.json"), js, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func repoDigests(ctx context.Context, ref string) ([]string, error) {
	out, err := sh.Output(ctx, "docker", "image", "inspect", "--format", "{{json .RepoDigests}}", ref)
	if err != nil {
		return nil, fmt.Errorf("%s is not built on this machine: %w", ref, err)
	}
	var refs []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &refs); err != nil {
		return nil, fmt.Errorf("docker image inspect %s: %w", ref, err)
	}
	var ds []string
	for _, r := range refs {
		if _, d, ok := strings.Cut(r, "@"); ok {
			ds = append(ds, d)
		}
	}
	return ds, nil
}
