package fakeaws_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
)

func cfg(f *fakeaws.Fake, region string) aws.Config {
	return aws.Config{Region: region, BaseEndpoint: aws.String(f.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")}
}

func start(t *testing.T) *fakeaws.Fake {
	f, err := fakeaws.New(fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func TestECRImmutableTagsAndPagination(t *testing.T) {
	f := start(t)
	f.CreateRepository("app/api", true)
	for _, v := range []string{"v1", "v2", "v3"} {
		if _, err := f.PutImage("app/api", "api "+v, v); err != nil {
			t.Fatal(err)
		}
	}
	c := ecr.NewFromConfig(cfg(f, "us-east-1"))
	ctx := context.Background()
	got, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("app/api"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app/api"), ImageTag: aws.String("v2"), ImageManifest: got.Images[0].ImageManifest})
	var exists *ecrtypes.ImageTagAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("moving an immutable tag: %v, want ImageTagAlreadyExistsException", err)
	}
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app/api"), ImageTag: aws.String("v1"), ImageManifest: got.Images[0].ImageManifest})
	var same *ecrtypes.ImageAlreadyExistsException
	if !errors.As(err, &same) {
		t.Fatalf("the same image again: %v, want ImageAlreadyExistsException", err)
	}
	pages, n := 0, 0
	p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String("app/api")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		n += len(out.ImageDetails)
	}
	if pages != 2 || n != 3 {
		t.Fatalf("%d images over %d pages, want 3 over 2", n, pages)
	}
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app/api"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}})
	var nf *ecrtypes.ImageNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("absent tag: %v, want ImageNotFoundException", err)
	}
}

func TestSSMCreateOnlyAndRegions(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	c := ssm.NewFromConfig(cfg(f, "us-east-1"))
	put := func(overwrite bool) error {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x/lock"), Value: aws.String("me"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(overwrite)})
		return err
	}
	if err := put(false); err != nil {
		t.Fatal(err)
	}
	var exists *ssmtypes.ParameterAlreadyExists
	if err := put(false); !errors.As(err, &exists) {
		t.Fatalf("second create: %v, want ParameterAlreadyExists", err)
	}
	if err := put(true); err != nil {
		t.Fatal(err)
	}
	other := ssm.NewFromConfig(cfg(f, "us-west-2"))
	_, err := other.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x/lock")})
	var nf *ssmtypes.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("another region: %v, want ParameterNotFound", err)
	}
	big := make([]byte, 5000)
	for i := range big {
		big[i] = 'a'
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x/big"), Value: aws.String(string(big)), Type: ssmtypes.ParameterTypeString})
	if err == nil {
		t.Fatal("a 5000-character standard parameter was accepted")
	}
}

func TestTaskStatesAndExitCodes(t *testing.T) {
	f := start(t)
	f.CreateCluster("c")
	arn, err := f.RegisterTaskDefinition(`{"family":"job","networkMode":"awsvpc","containerDefinitions":[{"name":"main","image":"x"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	f.SetTaskOutcome(func(fakeaws.TaskRun) fakeaws.Outcome { return fakeaws.Outcome{ExitCodes: map[string]int{"main": 3}} })
	c := ecs.NewFromConfig(cfg(f, "us-east-1"))
	ctx := context.Background()
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String(arn)})
	var inv *ecstypes.InvalidParameterException
	if !errors.As(err, &inv) {
		t.Fatalf("awsvpc without network configuration: %v", err)
	}
	out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String(arn),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"s"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for i := 0; i < 20; i++ {
		d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: []string{*out.Tasks[0].TaskArn}})
		if err != nil {
			t.Fatal(err)
		}
		st := aws.ToString(d.Tasks[0].LastStatus)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if st == "STOPPED" {
			if code := d.Tasks[0].Containers[0].ExitCode; code == nil || *code != 3 || d.Tasks[0].StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
				t.Fatalf("stopped task %+v", d.Tasks[0])
			}
			break
		}
	}
	// Each call moves the clock 5 s: PROVISIONING (0–5 s) is gone by the first describe.
	if got := len(seen); got != 3 || seen[0] != "PENDING" || seen[1] != "RUNNING" || seen[2] != "STOPPED" {
		t.Fatalf("states %v, want PENDING RUNNING STOPPED", seen)
	}
}
