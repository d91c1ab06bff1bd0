// Package awsenv is the AWS backend of the release pipeline: ECR for the
// images, ECS task definitions, RunTask and services for what runs, SSM for
// the environment facts, the release lease and the release record,
// CloudWatch Logs for task output, and STS to check whose account a run is
// about to change. It talks to AWS through aws-sdk-go-v2 behind small
// unexported interfaces (one per service, only the calls it makes), and is
// tested through the real SDK clients against the stateful fake in
// package fakeaws.
package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// FactsParameter is the SSM parameter Terraform publishes an environment's
// facts in (modules/environment), so the deploy role never reads the state.
func FactsParameter(env string) string { return "/equiptrack/" + env + "/release/facts" }

// CapacityProvider is one entry of a capacity provider strategy.
type CapacityProvider struct {
	Name   string `json:"capacity_provider"`
	Weight int32  `json:"weight"`
	Base   int32  `json:"base"`
}

// ServiceFacts describe one ECS service.
type ServiceFacts struct {
	ServiceName string `json:"service_name"`
	Family      string `json:"task_definition_family"`
	// TaskDefinition is the revision Terraform last registered: every
	// release clones it, so Terraform's container changes reach the next
	// release.
	TaskDefinition string             `json:"task_definition_arn"`
	Container      string             `json:"container_name"`
	Repository     string             `json:"repository_url"`
	LogGroup       string             `json:"log_group"`
	DesiredCount   int                `json:"desired_count"`
	Capacity       []CapacityProvider `json:"capacity_provider_strategy"`
}

// Facts are everything the release targets need about one environment.
type Facts struct {
	Environment string `json:"environment"`
	AccountID   string `json:"account_id"`
	Region      string `json:"region"`
	Cluster     string `json:"cluster_name"`
	URL         string `json:"url"`
	// Services by short name ("gateway"), and the seeder's one-off task.
	Services map[string]ServiceFacts `json:"services"`
	Seeder   ServiceFacts            `json:"seeder"`
	// Migrate is the migration's own task definition (the only one given
	// the database's master credentials); absent in facts published before
	// it had one, when the migration runs in its service's revision.
	Migrate *MigrateFacts `json:"migrate,omitempty"`
	// Subnets and SecurityGroup place one-off tasks.
	Subnets           []string `json:"private_subnet_ids"`
	SecurityGroup     string   `json:"task_security_group_id"`
	RegistryImmutable bool     `json:"registry_immutable"`
	// LockParameter and RecordParameter are the SSM parameters of the
	// release lease and the release record.
	LockParameter   string `json:"lock_parameter"`
	RecordParameter string `json:"record_parameter"`
}

// MigrateFacts describe the migration task: its task definition family
// and container, run with the image of Service at the release's version.
type MigrateFacts struct {
	ServiceFacts
	Service string   `json:"service"`
	Command []string `json:"command"`
}

// image returns the facts of a service or of the seeder.
func (f *Facts) image(name string) (ServiceFacts, bool) {
	if name == "seeder" {
		return f.Seeder, f.Seeder.Family != "" || f.Seeder.Repository != ""
	}
	s, ok := f.Services[name]
	return s, ok
}

// ServiceNames are the services, sorted.
func (f *Facts) ServiceNames() []string {
	out := make([]string, 0, len(f.Services))
	for n := range f.Services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (f *Facts) validate() error {
	var errs []error
	need := func(v, what string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", what))
		}
	}
	need(f.AccountID, "account_id")
	need(f.Region, "region")
	need(f.Cluster, "cluster_name")
	need(f.URL, "url")
	need(f.LockParameter, "lock_parameter")
	need(f.RecordParameter, "record_parameter")
	if len(f.Services) == 0 {
		errs = append(errs, errors.New("no services"))
	}
	if len(f.Subnets) == 0 {
		errs = append(errs, errors.New("no private_subnet_ids"))
	}
	if m := f.Migrate; m != nil {
		need(m.Family, "migrate.task_definition_family")
		need(m.TaskDefinition, "migrate.task_definition_arn")
		need(m.Container, "migrate.container_name")
		if _, ok := f.Services[m.Service]; !ok {
			errs = append(errs, fmt.Errorf("migrate.service %q is not a service", m.Service))
		}
	}
	for n, s := range f.Services {
		need(s.ServiceName, n+".service_name")
		need(s.TaskDefinition, n+".task_definition_arn")
		need(s.Container, n+".container_name")
		need(s.Repository, n+".repository_url")
	}
	return errors.Join(errs...)
}

type ssmAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(context.Context, *ssm.DeleteParameterInput, ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
	GetParameterHistory(context.Context, *ssm.GetParameterHistoryInput, ...func(*ssm.Options)) (*ssm.GetParameterHistoryOutput, error)
}

type stsAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// readFacts reads and validates the facts parameter.
func readFacts(ctx context.Context, c ssmAPI, env, region string) (Facts, error) {
	name := FactsParameter(env)
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return Facts{}, fmt.Errorf("the %s environment's facts (SSM parameter %s) are not in %s: is AWS_REGION right, and has Terraform been applied (go run magefile.go infra:plan)?", env, name, region)
	}
	if err != nil {
		return Facts{}, fmt.Errorf("reading %s: %w", name, err)
	}
	var f Facts
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &f); err != nil {
		return Facts{}, fmt.Errorf("%s is not the facts JSON: %w", name, err)
	}
	if err := f.validate(); err != nil {
		return Facts{}, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// checkIdentity refuses to go on when the credentials belong to another
// account than the environment's, or the client is set to another region.
func checkIdentity(ctx context.Context, c stsAPI, f Facts, env, region string) error {
	if region != f.Region {
		return fmt.Errorf("AWS region is %s but %s lives in %s: set AWS_REGION=%s", region, env, f.Region, f.Region)
	}
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	if got := aws.ToString(id.Account); got != f.AccountID {
		return fmt.Errorf("the AWS credentials are for account %s (%s) but %s lives in account %s: use that account's profile or role", got, aws.ToString(id.Arn), env, f.AccountID)
	}
	return nil
}
