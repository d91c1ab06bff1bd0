// Package manifest loads and validates the services manifest: the one file
// through which the kit knows an application — its services (build context,
// Dockerfile, build arguments, port, health paths, size), the prebuild steps
// its images need on the host, its test commands, its migration, and what the
// health check requests. APP_DIR points the kit at another application's
// directory; by default it releases this repository's exampleapp/.
package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// FileName is the manifest's name inside the application directory.
const FileName = "manifest.json"

// AppDirEnv names the variable that points the kit at an application.
const AppDirEnv = "APP_DIR"

// KitModule is the kit's module path.
const KitModule = "github.com/equiptrack/release-kit"

// Command is a command line with extra environment, run in the app directory.
type Command struct {
	Command []string          `json:"command"`
	Env     map[string]string `json:"env,omitempty"`
}

// Tests names the application's full and quick test commands.
type Tests struct {
	Command []string `json:"command"`
	Quick   []string `json:"quick,omitempty"`
}

// Service is one deployable service.
type Service struct {
	Name       string            `json:"name"`
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile"`
	BuildArgs  map[string]string `json:"build_args,omitempty"`
	Port       int               `json:"port"`
	// HealthPath is the readiness path on the container itself.
	HealthPath string `json:"health_path"`
	// PublicHealthPath is the readiness path through the public entry.
	PublicHealthPath string `json:"public_health_path"`
	CPU              int    `json:"cpu"`
	Memory           int    `json:"memory"`
	// PublicPath is the load balancer route ("/api/*", "/"); nil when the
	// service is reached only through another one.
	PublicPath *string `json:"public_path"`
	// Command is the container's command (arguments to the image's entry
	// point); empty keeps the image's CMD.
	Command []string `json:"command,omitempty"`
	// HealthCheck is the container's own health check as ECS and Docker take
	// it (["CMD", "/bin", "arg"] or ["CMD-SHELL", "script"]); empty: none.
	// Nothing else assumes what the image contains.
	HealthCheck []string `json:"health_check,omitempty"`
}

// Migrate is the migration: a command in one service's image.
type Migrate struct {
	Service string   `json:"service"`
	Command []string `json:"command"`
}

// Smoke is the one request the health check makes after readiness.
type Smoke struct {
	Path         string `json:"path"`
	ExpectStatus int    `json:"expect_status"`
}

// Page is the UI page whose load time the health check measures.
type Page struct {
	Path string `json:"path"`
}

// LoadRequest is one entry of the demo-load mix (`<env>:load`): a path
// through the public entry, its weight, and whether the API latency budget
// applies to it.
type LoadRequest struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Weight int    `json:"weight"`
	API    bool   `json:"api"`
}

// Manifest is a loaded, expanded and validated manifest.
type Manifest struct {
	// Dir is the application directory (absolute); Path the manifest file.
	Dir  string `json:"-"`
	Path string `json:"-"`

	Application string    `json:"application"`
	Prebuild    []Command `json:"prebuild,omitempty"`
	Test        Tests     `json:"test"`
	Services    []Service `json:"services"`
	Migrate     Migrate   `json:"migrate"`
	Smoke       Smoke     `json:"smoke"`
	Page        Page      `json:"page"`
	// Load is the demo-load mix; empty means the smoke request (API, weight
	// 3) and the page (weight 1).
	Load []LoadRequest `json:"load,omitempty"`
}

// LoadMix returns the demo-load mix: Load, or the default made of the smoke
// request and the page.
func (m *Manifest) LoadMix() []LoadRequest {
	if len(m.Load) > 0 {
		return m.Load
	}
	mix := []LoadRequest{{Name: "smoke", Path: m.Smoke.Path, Weight: 3, API: true}}
	if m.Page.Path != "" {
		mix = append(mix, LoadRequest{Name: "page", Path: m.Page.Path, Weight: 1})
	}
	return mix
}

// Names returns the service names in manifest order.
func (m *Manifest) Names() []string {
	out := make([]string, len(m.Services))
	for i, s := range m.Services {
		out[i] = s.Name
	}
	return out
}

// Service returns the named service.
func (m *Manifest) Service(name string) (Service, bool) {
	for _, s := range m.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// KitDir returns the directory of the kit's module as the go command sees it
// from the working directory: this repository, or the copy an application
// repository that imports the kit builds against.
func KitDir(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	d, err := sh.Output(ctx, "go", "list", "-m", "-f", "{{.Dir}}", KitModule)
	if err != nil {
		return "", fmt.Errorf("locating the kit module: %w", err)
	}
	if d == "" {
		return "", fmt.Errorf("locating the kit module: go list -m %s printed no directory", KitModule)
	}
	return d, nil
}

// AppDir returns $APP_DIR (made absolute), else the kit's exampleapp/.
func AppDir(ctx context.Context, getenv func(string) string) (string, error) {
	if d := getenv(AppDirEnv); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", AppDirEnv, d, err)
		}
		return abs, nil
	}
	kit, err := KitDir(ctx)
	if err != nil {
		return "", err
	}
	return filepath.Join(kit, "magefiles", "internal", "exampleapp"), nil
}

// Load reads dir/manifest.json, expands ${VAR} from getenv (unset → empty)
// in commands, environments and build arguments, and validates it.
func Load(dir string, getenv func(string) string) (*Manifest, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("manifest in %s: %w", dir, err)
	}
	path := filepath.Join(abs, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("manifest %s: not found (set %s to the application's directory)", path, AppDirEnv)
		}
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	m, err := Parse(b, getenv)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	m.Dir, m.Path = abs, path
	if err := m.checkFiles(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// Parse decodes, expands and validates a manifest's bytes (no file checks):
// Load without the files, for tests that hold other descriptions to it.
func Parse(b []byte, getenv func(string) string) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	m.expand(getenv)
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func jsonError(b []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("%s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.As(err, &se):
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Errorf("line %d: %v", line, se)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return err
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Expand replaces every ${NAME} with getenv(NAME). Only the braced form is
// expanded, so a literal $ elsewhere (a shell snippet, a password) survives.
func Expand(s string, getenv func(string) string) string {
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		return getenv(ref[2 : len(ref)-1])
	})
}

func (m *Manifest) expand(getenv func(string) string) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	list := func(l []string) {
		for i := range l {
			l[i] = Expand(l[i], getenv)
		}
	}
	dict := func(d map[string]string) {
		for k, v := range d {
			d[k] = Expand(v, getenv)
		}
	}
	for i := range m.Prebuild {
		list(m.Prebuild[i].Command)
		dict(m.Prebuild[i].Env)
	}
	list(m.Test.Command)
	list(m.Test.Quick)
	for i := range m.Services {
		dict(m.Services[i].BuildArgs)
	}
	list(m.Migrate.Command)
}

var serviceName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}[a-z0-9]$`)

// Validate checks every field and reports every problem, each naming its
// field, on one line.
func (m *Manifest) Validate() error {
	var errs []string
	add := func(f string, args ...any) { errs = append(errs, fmt.Sprintf(f, args...)) }
	if strings.TrimSpace(m.Application) == "" {
		add("application: empty")
	}
	for i, p := range m.Prebuild {
		if len(p.Command) == 0 || p.Command[0] == "" {
			add("prebuild[%d].command: empty", i)
		}
	}
	if len(m.Test.Command) == 0 || m.Test.Command[0] == "" {
		add("test.command: empty")
	}
	if len(m.Services) == 0 {
		add("services: empty")
	}
	seen := map[string]bool{}
	for i, s := range m.Services {
		f := fmt.Sprintf("services[%d]", i)
		switch {
		case !serviceName.MatchString(s.Name):
			add("%s.name: %q is not a lowercase DNS label (a-z, 0-9, -)", f, s.Name)
		case s.Name == "seeder":
			add("%s.name: %q is reserved for the kit's seeder image", f, s.Name)
		case seen[s.Name]:
			add("%s.name: %q is listed twice", f, s.Name)
		}
		seen[s.Name] = true
		if s.Context == "" {
			add("%s.context: empty", f)
		} else if filepath.IsAbs(s.Context) || strings.HasPrefix(filepath.Clean(s.Context), "..") {
			add("%s.context: %q must be a path inside the application directory", f, s.Context)
		}
		if s.Dockerfile == "" {
			add("%s.dockerfile: empty", f)
		}
		if s.Port < 1 || s.Port > 65535 {
			add("%s.port: %d is not a port (1-65535)", f, s.Port)
		}
		if !strings.HasPrefix(s.HealthPath, "/") {
			add("%s.health_path: %q must start with /", f, s.HealthPath)
		}
		if !strings.HasPrefix(s.PublicHealthPath, "/") {
			add("%s.public_health_path: %q must start with /", f, s.PublicHealthPath)
		}
		if len(s.HealthCheck) > 0 && (s.HealthCheck[0] != "CMD" && s.HealthCheck[0] != "CMD-SHELL" || len(s.HealthCheck) < 2) {
			add("%s.health_check: %q must be [\"CMD\", program, args…] or [\"CMD-SHELL\", script]", f, s.HealthCheck)
		}
		for j, a := range s.Command {
			if a == "" {
				add("%s.command[%d]: empty", f, j)
			}
		}
		if !validFargate(s.CPU, s.Memory) {
			add("%s.cpu/memory: %d/%d MiB is not a Fargate size (256/512-2048, 512/1024-4096, 1024/2048-8192, …)", f, s.CPU, s.Memory)
		}
	}
	if m.Migrate.Service == "" {
		add("migrate.service: empty")
	} else if !seen[m.Migrate.Service] {
		add("migrate.service: %q is not a listed service", m.Migrate.Service)
	}
	if len(m.Migrate.Command) == 0 || m.Migrate.Command[0] == "" {
		add("migrate.command: empty")
	}
	if !strings.HasPrefix(m.Smoke.Path, "/") {
		add("smoke.path: %q must start with /", m.Smoke.Path)
	}
	if m.Smoke.ExpectStatus != 0 && (m.Smoke.ExpectStatus < 100 || m.Smoke.ExpectStatus > 599) {
		add("smoke.expect_status: %d is not an HTTP status", m.Smoke.ExpectStatus)
	}
	if m.Page.Path != "" && !strings.HasPrefix(m.Page.Path, "/") {
		add("page.path: %q must start with /", m.Page.Path)
	}
	loadNames := map[string]bool{}
	for i, l := range m.Load {
		switch {
		case l.Name == "" || loadNames[l.Name]:
			add("load[%d].name: %q must be set and unique", i, l.Name)
		case !strings.HasPrefix(l.Path, "/") || strings.HasPrefix(l.Path, "//"):
			add("load[%d].path: %q must be a path starting with one /", i, l.Path)
		case l.Weight < 1:
			add("load[%d].weight: %d must be at least 1", i, l.Weight)
		}
		loadNames[l.Name] = true
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// validFargate reports whether cpu/memory is a Fargate task size, so a
// manifest that works locally also deploys to ECS.
func validFargate(cpu, mem int) bool {
	ranges := map[int][3]int{ // cpu → min, max, step (MiB)
		256:  {512, 2048, 512}, // 512, 1024, 2048 only: checked below
		512:  {1024, 4096, 1024},
		1024: {2048, 8192, 1024},
		2048: {4096, 16384, 1024},
		4096: {8192, 30720, 1024},
	}
	r, ok := ranges[cpu]
	if !ok || mem < r[0] || mem > r[1] {
		return false
	}
	if cpu == 256 {
		return mem == 512 || mem == 1024 || mem == 2048
	}
	return (mem-r[0])%r[2] == 0
}

// checkFiles checks that each service's context and Dockerfile exist.
func (m *Manifest) checkFiles() error {
	var errs []string
	for i, s := range m.Services {
		ctxDir := filepath.Join(m.Dir, s.Context)
		if st, err := os.Stat(ctxDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Sprintf("services[%d].context: %s is not a directory", i, ctxDir))
			continue
		}
		if _, err := os.Stat(filepath.Join(ctxDir, s.Dockerfile)); err != nil {
			errs = append(errs, fmt.Sprintf("services[%d].dockerfile: %s not found", i, filepath.Join(ctxDir, s.Dockerfile)))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// SortedEnv renders an env map as sorted KEY=VALUE pairs.
func SortedEnv(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
