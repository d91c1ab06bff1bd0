// Package tfdriver drives OpenTofu (or Terraform) from Go with
// hashicorp/terraform-exec: init, validate, plan, show, test, fmt and
// output, one *tfexec.Terraform per directory and goroutine.
//
// In offline mode (the checks of this repository: no internet, no AWS) the
// hashicorp/aws provider is the schema replica of package tfreplica, served
// from a filesystem mirror named by a CLI configuration file, and every
// command runs on a scratch copy of the Terraform tree (see Scratch) so that
// neither the committed lock file nor the S3 backends get in the way.
//
// Reading an environment's outputs for real (release targets):
//
//	env, err := tfdriver.Online(ctx, "", logf)
//	d, err := env.Open("terraform/envs/staging")
//	err = d.InitWithBackend(ctx)
//	var out struct {
//		Region  string `json:"region"`
//		Cluster string `json:"cluster_name"`
//	}
//	err = d.Output(ctx, &out)
package tfdriver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tofu"
)

// BinaryEnv names the Terraform/OpenTofu binary to use instead of the
// kit's own OpenTofu build; the targets read it into CheckerOptions.Binary.
const BinaryEnv = "TF_BINARY"

// Binary returns the binary to drive: name when set (a path, or a name
// looked up on PATH, e.g. "terraform"), else the kit's pinned OpenTofu
// (built into the cache on first use). A `tofu` or `terraform` that happens
// to be on PATH is deliberately not picked up on its own: the checks must
// give the same answer on every machine.
func Binary(ctx context.Context, name string, logf sh.Logf) (string, error) {
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinaryEnv, name, err)
		}
		return filepath.Abs(p)
	}
	return tofu.Ensure(ctx, logf)
}

// Env is a binary plus, in offline mode, the replica mirror.
type Env struct {
	Binary string
	// Mirror is the replica mirror; nil means online (the real provider
	// from the registry, as in GitHub Actions).
	Mirror *tfreplica.Mirror
	// TypesFile, when set, restricts the replica to the types listed in it
	// (see WriteUsedTypes): much faster provider starts.
	TypesFile string
	// Verbose streams every command's output to Stdout/Stderr.
	Verbose        bool
	Stdout, Stderr io.Writer
	// BackendConfig adds -backend-config=KEY=VALUE pairs after the
	// directory's *.tfbackend files when a backend is initialised: the state
	// bucket, which terraform/bootstrap names (equiptrack-tfstate-<account>)
	// and no committed file repeats.
	BackendConfig map[string]string
}

// Offline returns an Env that checks without internet or AWS: the binary
// from Binary and the replica mirror from tfreplica.Ensure.
func Offline(ctx context.Context, binary string, logf sh.Logf) (*Env, error) {
	bin, err := Binary(ctx, binary, logf)
	if err != nil {
		return nil, err
	}
	m, err := tfreplica.Ensure(ctx, logf)
	if err != nil {
		return nil, err
	}
	return &Env{Binary: bin, Mirror: m, Stdout: os.Stdout, Stderr: os.Stderr}, nil
}

// Online returns an Env for real work (dev/staging targets, GitHub
// Actions): the binary from Binary, providers from their registries, the
// backend as configured.
func Online(ctx context.Context, binary string, logf sh.Logf) (*Env, error) {
	bin, err := Binary(ctx, binary, logf)
	if err != nil {
		return nil, err
	}
	return &Env{Binary: bin, Stdout: os.Stdout, Stderr: os.Stderr}, nil
}

// commandEnv is the environment of every command: the caller's, minus the
// variables terraform-exec manages itself (it refuses them in SetEnv), plus
// the mirror's CLI configuration in offline mode. TF_CLI_CONFIG_FILE is
// always set explicitly: a value inherited from the machine (this one
// presets it to a missing file) must not decide where providers come from.
func commandEnv(environ []string, m *tfreplica.Mirror, typesFile string) map[string]string {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			env[k] = v
		}
	}
	env = tfexec.CleanEnv(env)
	env["CHECKPOINT_DISABLE"] = "1"
	delete(env, tfreplica.TypesEnv)
	if m != nil {
		// A plugin cache would keep the first replica installed at this
		// version and hand it out after the replica changed.
		delete(env, "TF_PLUGIN_CACHE_DIR")
		maps.Copy(env, m.Env())
		if typesFile != "" {
			env[tfreplica.TypesEnv] = typesFile
		}
	} else if _, ok := env["TF_CLI_CONFIG_FILE"]; ok {
		if _, err := os.Stat(env["TF_CLI_CONFIG_FILE"]); err != nil {
			// A preset pointing nowhere only produces warnings.
			env["TF_CLI_CONFIG_FILE"] = os.DevNull
		}
	}
	return env
}

// Dir is one Terraform directory (module or root) and its own
// terraform-exec handle. Not safe for concurrent use.
type Dir struct {
	Path string
	env  *Env
	tf   *tfexec.Terraform
	vars map[string]string
	// stderr collects the commands' error output for failure messages.
	stderr *bytes.Buffer
}

// failed wraps a command's error with what the command printed on stderr.
func (d *Dir) failed(what string, err error) error {
	msg := strings.TrimSpace(d.stderr.String())
	d.stderr.Reset()
	if msg == "" {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w\n%s", what, err, sh.Tail(msg, 30))
}

// Open prepares a directory for commands.
func (e *Env) Open(dir string) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(abs, e.Binary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	vars := commandEnv(os.Environ(), e.Mirror, e.TypesFile)
	if err := tf.SetEnv(vars); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	// terraform-exec no longer puts the command's stderr into its errors, so
	// the driver keeps it: a failed plan must say why, not just "exit status 1".
	stderr := &bytes.Buffer{}
	tf.SetStderr(stderr)
	if e.Verbose {
		tf.SetStdout(e.Stdout)
		tf.SetStderr(io.MultiWriter(e.Stderr, stderr))
	}
	return &Dir{Path: abs, env: e, tf: tf, vars: vars, stderr: stderr}, nil
}

// hasBackend reports whether the directory's configuration declares a
// backend (a root module with S3 state).
func hasBackend(dir string) (bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return false, err
	}
	re := regexp.MustCompile(`(?m)^\s*backend\s+"[^"]+"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		if re.Match(b) {
			return true, nil
		}
	}
	return false, nil
}

// Backend says what init does with a declared backend.
type Backend int

const (
	// skipBackend: validate and test never need state, and an S3 backend
	// needs AWS.
	skipBackend Backend = iota
	// useBackend: plan, apply and output read the state.
	useBackend
)

// initOptions builds init's options. A declared backend is initialised
// only when asked (plan, apply, output). backendFiles are the partial
// backend configurations (`<env>.s3.tfbackend`) passed with -backend-config.
func initOptions(declared bool, b Backend, backendFiles []string) []tfexec.InitOption {
	opts := []tfexec.InitOption{tfexec.Upgrade(false)}
	switch {
	case declared && b == skipBackend:
		opts = append(opts, tfexec.Backend(false))
	case declared && b == useBackend:
		for _, f := range backendFiles {
			opts = append(opts, tfexec.BackendConfig(f))
		}
	}
	return opts
}

// BackendPairs renders extra backend settings as -backend-config=KEY=VALUE
// options, sorted by key.
func BackendPairs(kv map[string]string) []tfexec.InitOption {
	var out []tfexec.InitOption
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		out = append(out, tfexec.BackendConfig(k+"="+kv[k]))
	}
	return out
}

// Init runs init without the backend (for validate and test).
func (d *Dir) Init(ctx context.Context) error { return d.init(ctx, skipBackend) }

// InitWithBackend runs init with the backend and the directory's
// *.tfbackend files (for plan, apply, output). Offline, call
// UseLocalBackend first: the files are then not used.
func (d *Dir) InitWithBackend(ctx context.Context) error { return d.init(ctx, useBackend) }

func (d *Dir) init(ctx context.Context, b Backend) error {
	hb, err := hasBackend(d.Path)
	if err != nil {
		return err
	}
	var files []string
	if _, err := os.Stat(filepath.Join(d.Path, localBackendFile)); err != nil {
		files, _ = filepath.Glob(filepath.Join(d.Path, "*.tfbackend"))
		for i := range files {
			files[i] = filepath.Base(files[i])
		}
	}
	opts := initOptions(hb, b, files)
	if hb && b == useBackend && len(files) > 0 {
		opts = append(opts, BackendPairs(d.env.BackendConfig)...)
	}
	d.stderr.Reset()
	if err := d.tf.Init(ctx, opts...); err != nil {
		return d.failed("init "+d.Path, err)
	}
	return nil
}

// Validate runs validate -json and returns its diagnostics; an invalid
// configuration is an error naming the first problems.
func (d *Dir) Validate(ctx context.Context) (*tfjson.ValidateOutput, error) {
	d.stderr.Reset()
	out, err := d.tf.Validate(ctx)
	if err != nil {
		return nil, d.failed("validate "+d.Path, err)
	}
	if !out.Valid || out.ErrorCount > 0 {
		return out, fmt.Errorf("validate %s: %s", d.Path, diagnosticsText(out.Diagnostics))
	}
	return out, nil
}

// diagnosticsText renders diagnostics one per line:
// "file:line: summary: detail".
func diagnosticsText(diags []tfjson.Diagnostic) string {
	var lines []string
	for _, dg := range diags {
		if dg.Severity != tfjson.DiagnosticSeverityError {
			continue
		}
		loc := ""
		if dg.Range != nil {
			loc = fmt.Sprintf("%s:%d: ", dg.Range.Filename, dg.Range.Start.Line)
		}
		line := loc + dg.Summary
		if dg.Detail != "" {
			line += ": " + strings.Join(strings.Fields(dg.Detail), " ")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// localBackendFile is written into scratch copies of roots with a backend
// so that plan can run offline (plan needs an initialised backend; an S3
// one needs AWS). An _override.tf file replaces the backend block.
const localBackendFile = "zz_kit_offline_override.tf"

const localBackendText = `# Written by the equiptrack kit into a scratch copy: offline checks keep
# state locally instead of in the S3 backend.
terraform {
  backend "local" {}
}
`

// UseLocalBackend replaces the directory's backend with a local one (only
// ever in a scratch copy: it writes a file).
func (d *Dir) UseLocalBackend() error {
	if d.env.Mirror == nil {
		return errors.New("a local backend override is for offline scratch copies only")
	}
	return os.WriteFile(filepath.Join(d.Path, localBackendFile), []byte(localBackendText), 0o644)
}

// planOptions builds plan's options.
func planOptions(planFile string, varFiles []string, vars map[string]string) []tfexec.PlanOption {
	opts := []tfexec.PlanOption{tfexec.Out(planFile), tfexec.Refresh(true)}
	for _, f := range varFiles {
		opts = append(opts, tfexec.VarFile(f))
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		opts = append(opts, tfexec.Var(k+"="+vars[k]))
	}
	return opts
}

// Plan writes a plan to planFile and reports whether it changes anything.
func (d *Dir) Plan(ctx context.Context, planFile string, varFiles []string, vars map[string]string) (bool, error) {
	d.stderr.Reset()
	changes, err := d.tf.Plan(ctx, planOptions(planFile, varFiles, vars)...)
	if err != nil {
		return false, d.failed("plan "+d.Path, err)
	}
	return changes, nil
}

// Apply applies a saved plan file (exactly what was planned, nothing else).
func (d *Dir) Apply(ctx context.Context, planFile string) error {
	d.stderr.Reset()
	if err := d.tf.Apply(ctx, tfexec.DirOrPlan(planFile)); err != nil {
		return d.failed("apply "+planFile, err)
	}
	return nil
}

// ShowPlanJSON reads a plan file as JSON.
func (d *Dir) ShowPlanJSON(ctx context.Context, planFile string) (*tfjson.Plan, error) {
	d.stderr.Reset()
	p, err := d.tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return nil, d.failed("show "+planFile, err)
	}
	return p, nil
}

// FmtCheck returns the files (relative to the directory, .tftest.hcl in
// tests/ included) that `fmt` would change.
func (d *Dir) FmtCheck(ctx context.Context) ([]string, error) {
	d.stderr.Reset()
	ok, files, err := d.tf.FormatCheck(ctx, tfexec.Recursive(true))
	if err != nil {
		return nil, d.failed("fmt -check "+d.Path, err)
	}
	if ok {
		return nil, nil
	}
	return files, nil
}

// Output unmarshals the directory's outputs into dst, a struct with json
// tags named after the outputs (or a map).
func (d *Dir) Output(ctx context.Context, dst any) error {
	d.stderr.Reset()
	outs, err := d.tf.Output(ctx)
	if err != nil {
		return d.failed("output "+d.Path, err)
	}
	return decodeOutputs(outs, dst)
}

// decodeOutputs turns terraform-exec's outputs into a typed value.
func decodeOutputs(outs map[string]tfexec.OutputMeta, dst any) error {
	vals := map[string]json.RawMessage{}
	for k, o := range outs {
		vals[k] = o.Value
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("decode outputs: %w", err)
	}
	return nil
}

// testArgs builds the arguments of `test`. terraform-exec's Test forces
// -json and ignores its options in v0.26, so the driver runs the binary
// itself with the human-readable output.
func testArgs(filter []string, vars map[string]string) []string {
	args := []string{"test", "-no-color"}
	for _, f := range filter {
		args = append(args, "-filter="+f)
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		args = append(args, "-var="+k+"="+vars[k])
	}
	return args
}

// Test runs the directory's *.tftest.hcl (in it and in tests/), streaming
// the output when verbose. A failure's error carries the output's tail.
func (d *Dir) Test(ctx context.Context) error {
	o := sh.Options{
		Dir:       d.Path,
		Env:       envSlice(d.vars),
		Stream:    d.env.Verbose,
		Combined:  true,
		TailLines: 40,
		Join:      "\n",
		// Like terraform-exec: interrupt first so OpenTofu can clean up.
		Interrupt: true,
		WaitDelay: 30 * time.Second,
	}
	if _, err := o.Run(ctx, d.env.Binary, testArgs(nil, nil)...); err != nil {
		return fmt.Errorf("test %s: %w", d.Path, err)
	}
	return nil
}

func envSlice(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}
