package awsenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Options configure the backend of one environment. Only the targets read
// the process environment; they fill these.
type Options struct {
	// Env is "dev" or "staging".
	Env string
	// Region is where the environment lives; the AWS configuration must
	// point there.
	Region string
	// Config carries the credentials and region (config.LoadDefaultConfig).
	Config aws.Config
	// Endpoint, when set, is every client's BaseEndpoint (the fake AWS in
	// tests; AWS_ENDPOINT_URL does the same through Config).
	Endpoint string
	// Poll is the first delay between two polls of a rollout or a task
	// [6s]; MaxPoll the longest [30s].
	Poll, MaxPoll time.Duration
	// RetryBackoff caps the SDK retryer's backoff on throttling and 5xx
	// [20s, the SDK's default]; MaxAttempts per call [5].
	RetryBackoff time.Duration
	MaxAttempts  int
	// LogLines of a failed task are quoted [20].
	LogLines int
	// Now is the clock the lease uses [time.Now].
	Now  func() time.Time
	Logf sh.Logf
}

func (o Options) withDefaults() Options {
	if o.Poll <= 0 {
		o.Poll = 6 * time.Second
	}
	if o.MaxPoll <= 0 {
		o.MaxPoll = 30 * time.Second
	}
	if o.MaxPoll < o.Poll {
		o.MaxPoll = o.Poll
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 20 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.LogLines <= 0 {
		o.LogLines = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = sh.Discard
	}
	return o
}

// Env is one AWS environment, its facts read and its identity checked.
type Env struct {
	o     Options
	Facts Facts

	ecs  ecsAPI
	ecr  ecrAPI
	ssm  ssmAPI
	logs logsAPI
	sts  stsAPI

	tds *tdCache
}

// Open checks the region, reads the environment's facts from SSM and checks
// the caller's account against them — before anything is changed.
func Open(ctx context.Context, o Options) (*Env, error) {
	o, cfg, err := configure(o)
	if err != nil {
		return nil, err
	}
	e := newEnv(o, cfg)
	f, err := readFacts(ctx, e.ssm, o.Env, cfg.Region)
	if err != nil {
		return nil, err
	}
	if err := checkIdentity(ctx, e.sts, f, o.Env, cfg.Region); err != nil {
		return nil, err
	}
	e.Facts = f
	return e, nil
}

// configure checks the options and the region, and returns the SDK
// configuration every client of the environment is built from.
func configure(o Options) (Options, aws.Config, error) {
	o = o.withDefaults()
	if o.Env == "" {
		return o, aws.Config{}, errors.New("awsenv: no environment name")
	}
	if got := o.Config.Region; got != o.Region {
		if got == "" {
			return o, aws.Config{}, fmt.Errorf("no AWS region is configured but %s lives in %s: set AWS_REGION=%s", o.Env, o.Region, o.Region)
		}
		return o, aws.Config{}, fmt.Errorf("AWS region is %s but %s lives in %s: set AWS_REGION=%s", got, o.Env, o.Region, o.Region)
	}
	cfg := o.Config.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = o.MaxAttempts
			so.MaxBackoff = o.RetryBackoff
			so.Backoff = retry.NewExponentialJitterBackoff(o.RetryBackoff)
		})
	}
	// AWS_ENDPOINT_URL reaches cfg.BaseEndpoint through LoadDefaultConfig;
	// Endpoint overrides it.
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	return o, cfg, nil
}

func newEnv(o Options, cfg aws.Config) *Env {
	ep := func() *string { return cfg.BaseEndpoint }
	e := &Env{o: o,
		ecs:  ecs.NewFromConfig(cfg, func(c *ecs.Options) { c.BaseEndpoint = ep() }),
		ecr:  ecr.NewFromConfig(cfg, func(c *ecr.Options) { c.BaseEndpoint = ep() }),
		ssm:  ssm.NewFromConfig(cfg, func(c *ssm.Options) { c.BaseEndpoint = ep() }),
		logs: cloudwatchlogs.NewFromConfig(cfg, func(c *cloudwatchlogs.Options) { c.BaseEndpoint = ep() }),
		sts:  sts.NewFromConfig(cfg, func(c *sts.Options) { c.BaseEndpoint = ep() }),
	}
	e.tds = &tdCache{api: e.ecs, m: map[string]*tdEntry{}}
	return e
}

// URL is the environment's public URL.
func (e *Env) URL() string { return e.Facts.URL }

// Backend returns the environment's implementation of every pipeline
// interface, with builder building the images (DockerBuilder on a laptop
// and in CI).
func (e *Env) Backend(builder pipeline.ImageBuilder) pipeline.Backend {
	return pipeline.Backend{
		Builder:  builder,
		Registry: e,
		Tasks:    e,
		Deployer: e,
		Prober:   &pipeline.HTTPProber{Base: e.Facts.URL},
		Store:    e,
	}
}

func (e *Env) logf(format string, args ...any) { e.o.Logf(format, args...) }

// forEach runs fn for every name at once — one AWS call per service, each
// waiting on the network — and returns their errors joined in the order of
// names.
func forEach(names []string, fn func(name string) error) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { errs[i] = fn(n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
