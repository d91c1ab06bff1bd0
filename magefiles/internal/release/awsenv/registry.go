package awsenv

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// OpenRegistry opens the environment on its ECR repositories alone, for
// the first build and push of `<env>:up`: the registry exists (up applies
// it first) but the facts parameter does not yet — Terraform publishes it
// in the full apply, which needs the images. repos maps each image
// (service or "seeder") to its repository URL as the registry plan names
// it; ECR's DescribeRepositories confirms each exists and gives its URI
// and tag mutability. The caller's account must be the repositories'.
//
// The Env it returns can build (DockerBuilder) and push (BuildPush) only:
// it has no cluster, task definitions or release lease.
func OpenRegistry(ctx context.Context, o Options, repos map[string]string) (*Env, error) {
	o, cfg, err := configure(o)
	if err != nil {
		return nil, err
	}
	if len(repos) == 0 {
		return nil, fmt.Errorf("%s: no repositories to push to", o.Env)
	}
	e := newEnv(o, cfg)
	id, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	byName := map[string]string{} // repository name → image
	names := make([]string, 0, len(repos))
	for img, url := range repos {
		byName[repoName(url)] = img
		names = append(names, repoName(url))
	}
	sort.Strings(names)
	f := Facts{Environment: o.Env, AccountID: aws.ToString(id.Account), Region: cfg.Region, Services: map[string]ServiceFacts{}}
	immutable := map[bool][]string{}
	p := ecr.NewDescribeRepositoriesPaginator(e.ecr, &ecr.DescribeRepositoriesInput{RepositoryNames: names})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("the %s repositories (%s): %w (has the registry been applied?)", o.Env, strings.Join(names, ", "), err)
		}
		for _, r := range out.Repositories {
			img := byName[aws.ToString(r.RepositoryName)]
			if aws.ToString(r.RegistryId) != f.AccountID {
				return nil, fmt.Errorf("repository %s is in account %s, the credentials are of %s", aws.ToString(r.RepositoryName), aws.ToString(r.RegistryId), f.AccountID)
			}
			sf := ServiceFacts{Repository: aws.ToString(r.RepositoryUri)}
			if img == pipeline.SeederImage {
				f.Seeder = sf
			} else {
				f.Services[img] = sf
			}
			imm := r.ImageTagMutability == ecrtypes.ImageTagMutabilityImmutable
			immutable[imm] = append(immutable[imm], img)
		}
	}
	if len(immutable) > 1 {
		// Push decides by one flag; the registry module sets one mutability
		// for every repository of an environment.
		return nil, fmt.Errorf("the %s repositories mix IMMUTABLE (%s) and MUTABLE (%s) tags", o.Env, strings.Join(immutable[true], ", "), strings.Join(immutable[false], ", "))
	}
	f.RegistryImmutable = len(immutable[true]) > 0
	e.Facts = f
	return e, nil
}

// BuildPush builds, with builder, the images of version that ECR does not
// hold yet and pushes them: the build and push of a release, without its
// lease or record (up runs it before the environment has either). Images
// already in ECR are not rebuilt, so a second run after a failure
// converges.
func (e *Env) BuildPush(ctx context.Context, builder pipeline.ImageBuilder, version string, images []string) error {
	arts, err := e.Resolve(ctx, version, images)
	if err != nil {
		return err
	}
	missing := arts.Missing(images)
	if len(missing) == 0 {
		e.logf("    %s is already in ECR for every image: not rebuilt", version)
		return nil
	}
	if len(missing) < len(images) {
		e.logf("    %s is already in ECR for %d of %d images: building %s", version, len(images)-len(missing), len(images), strings.Join(missing, ", "))
	}
	built, err := builder.Build(ctx, version, missing)
	if err != nil {
		return err
	}
	for _, img := range built {
		a, err := e.Push(ctx, img)
		if err != nil {
			return fmt.Errorf("push %s: %w", img.Ref, err)
		}
		e.logf("    pushed %s (%s)", img.Ref, a.Digest)
	}
	return nil
}
