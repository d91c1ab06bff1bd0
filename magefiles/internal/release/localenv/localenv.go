// Package localenv is the release pipeline's local backend: the Docker engine
// on this machine. It implements every interface of package pipeline —
// Build with `docker build`, a real registry container, one-off containers
// for migrate and seed, N replicas per service on a Docker network behind a
// small entry container standing in for the load balancer, a JSON release
// record and a flock — so `local:release` rehearses exactly the steps that
// run against AWS.
//
// All traffic from the host to containers goes through ports published on
// 127.0.0.1, never a container's own address. Every Docker object carries the
// environment's name as a prefix (Options.Name), so an isolated environment
// (the end-to-end tests) never touches a developer's `local:up`.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/release/configure"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/seeddata"
)

// Defaults of the developer's local environment.
const (
	DefaultName         = stores.LocalNetwork // "equiptrack-local"
	DefaultRegistryPort = 55000
	DefaultEntryPort    = 58080
	RegistryPortEnv     = "EQUIPTRACK_LOCAL_REGISTRY_PORT"
	EntryPortEnv        = "EQUIPTRACK_LOCAL_ENTRY_PORT"
	ReplicasEnv         = "EQUIPTRACK_LOCAL_REPLICAS"
)

// Labels every kit-made container carries; Current reads them back.
const (
	LabelEnv      = "equiptrack-kit.env"
	LabelRole     = "equiptrack-kit.role" // service, task, registry, entry
	LabelService  = "equiptrack-kit.service"
	LabelVersion  = "equiptrack-kit.version"
	LabelRevision = "equiptrack-kit.revision"
	LabelReplica  = "equiptrack-kit.replica"
	LabelConfig   = "equiptrack-kit.config"
)

// Options configure an environment. Zero values take the defaults.
type Options struct {
	// Name prefixes every container, volume and the network; default
	// "equiptrack-local". It must be a lowercase DNS label.
	Name string
	// Manifest is the application (manifest.Load).
	Manifest *manifest.Manifest
	// Stores are the PostgreSQL and Redis containers (containers package).
	Stores stores.Stores
	// Replicas per service [1].
	Replicas int
	// RegistryPort and EntryPort are the 127.0.0.1 ports published
	// [DefaultRegistryPort, DefaultEntryPort].
	RegistryPort, EntryPort int
	// PostgresPort and RedisPort are the stores' published ports [the
	// stores' defaults]; Start passes them on.
	PostgresPort, RedisPort int
	// QuickTests runs the manifest's quick test command in the Test step.
	QuickTests bool
	// ReplicaTimeout bounds the wait for one new replica to come up [60s].
	ReplicaTimeout time.Duration
	// Health overrides parts of the health check (budgets, timeouts).
	Health pipeline.HealthConfig
	// Timeouts per step.
	Timeouts pipeline.Timeouts
	// Verbose streams child processes' output.
	Verbose bool
	Logf    func(format string, args ...any)
}

// Env is one local environment.
type Env struct {
	o        Options
	m        *manifest.Manifest
	stateDir string
	adminPw  string
	// eng is the Docker engine (a fake in the unit tests); live waits until
	// a new replica serves (waitLive, or the fake's answer).
	eng  engine
	live func(ctx context.Context, name string, port int) error
}

// New checks the options and prepares the environment's state directory.
// It starts nothing.
func New(o Options) (*Env, error) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if err := stores.CheckName(o.Name); err != nil {
		return nil, err
	}
	if o.Manifest == nil {
		return nil, errors.New("local environment: no manifest")
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Replicas < 0 || o.Replicas > 10 {
		return nil, fmt.Errorf("local environment: %d replicas: want 1 to 10", o.Replicas)
	}
	if o.RegistryPort == 0 {
		o.RegistryPort = DefaultRegistryPort
	}
	if o.EntryPort == 0 {
		o.EntryPort = DefaultEntryPort
	}
	if o.ReplicaTimeout <= 0 {
		o.ReplicaTimeout = 60 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	dir, err := stores.StateDir(o.Name)
	if err != nil {
		return nil, err
	}
	e := &Env{o: o, m: o.Manifest, stateDir: dir, eng: cli}
	e.live = e.waitLive
	return e, nil
}

func (e *Env) logf(format string, args ...any) { e.o.Logf(format, args...) }

// URL is the public entry's base URL.
func (e *Env) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", e.o.EntryPort) }

// RegistryHost is the registry as Docker reaches it.
func (e *Env) RegistryHost() string { return fmt.Sprintf("127.0.0.1:%d", e.o.RegistryPort) }

// Name is the environment's name (the prefix of its Docker objects).
func (e *Env) Name() string { return e.o.Name }

func (e *Env) network() string { return e.o.Stores.Network }

// repo is the registry repository of a service (or the seeder).
func (e *Env) repo(service string) string { return e.m.Application + "/" + service }

// ImageRef is the tag an image of the version is built and pushed under.
func (e *Env) ImageRef(service, version string) string {
	return e.RegistryHost() + "/" + e.repo(service) + ":" + version
}

func (e *Env) containerName(parts ...string) string {
	return e.o.Name + "-" + strings.Join(parts, "-")
}

// Backend is this environment as the pipeline's backend.
func (e *Env) Backend() pipeline.Backend {
	return pipeline.Backend{Builder: e, Registry: e, Tasks: e, Deployer: e,
		Prober: &pipeline.HTTPProber{Base: e.URL()}, Store: e}
}

// Pipeline returns the release pipeline wired to this environment, mapped
// from the manifest by the one backend-neutral constructor.
func (e *Env) Pipeline() *pipeline.Pipeline {
	p, err := configure.Pipeline(e.m, e.Backend(), configure.Options{
		Env: e.o.Name, RunTests: e.RunTests,
		Seed: true, ExpectedFingerprint: seeddata.ExpectedFingerprint(),
		Health: e.o.Health, Timeouts: e.o.Timeouts, Logf: e.o.Logf,
	})
	if err != nil {
		// New checked the manifest and Backend is complete: unreachable.
		panic(err)
	}
	return p
}

// FreePort returns a port free on 127.0.0.1 now (for isolated environments).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, mode)
}

// Stores returns how to reach the environment's PostgreSQL and Redis.
func (e *Env) Stores() stores.Stores { return e.o.Stores }

// Env is the local backend of every pipeline interface.
var (
	_ pipeline.ImageBuilder = (*Env)(nil)
	_ pipeline.Registry     = (*Env)(nil)
	_ pipeline.TaskRunner   = (*Env)(nil)
	_ pipeline.Deployer     = (*Env)(nil)
	_ pipeline.Store        = (*Env)(nil)
)
