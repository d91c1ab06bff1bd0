package lifecycle

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
)

// The purposes of an environment's secrets: the keys of Terraform's output
// `secrets` (modules/secrets).
const (
	SecretJWT           = "jwt"
	SecretAdminPassword = "admin_password"
	SecretDBAppPassword = "db_app_password"
)

// SecretPurposes are every purpose, sorted.
var SecretPurposes = []string{SecretAdminPassword, SecretDBAppPassword, SecretJWT}

// ParseRotate checks `-rotate`: one purpose, several separated by commas,
// or "all" (every purpose); "" rotates nothing.
func ParseRotate(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if s == "all" {
		return SecretPurposes, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		known := false
		for _, k := range SecretPurposes {
			known = known || p == k
		}
		if !known {
			return nil, fmt.Errorf("-rotate=%q: %q is not a secret (want %s, or all)", s, p, strings.Join(SecretPurposes, ", "))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// OutputReader reads a root's Terraform outputs (tfdriver's Output: the
// Runner).
type OutputReader interface {
	Output(ctx context.Context, dst any) error
}

// ReadSecretSpecs reads Terraform's output `secrets` (purpose => name and
// generation policy) and checks it names every purpose.
func ReadSecretSpecs(ctx context.Context, tf OutputReader) (map[string]awsenv.SecretSpec, error) {
	var outs struct {
		Secrets map[string]awsenv.SecretSpec `json:"secrets"`
	}
	if err := tf.Output(ctx, &outs); err != nil {
		return nil, fmt.Errorf("terraform output: %w", err)
	}
	if len(outs.Secrets) == 0 {
		return nil, fmt.Errorf("terraform output `secrets` is missing: the environment's state predates secrets set by the kit (apply it first)")
	}
	for _, p := range SecretPurposes {
		s, ok := outs.Secrets[p]
		switch {
		case !ok:
			return nil, fmt.Errorf("terraform output `secrets` has no %s", p)
		case s.Name == "" || s.Length < 1:
			return nil, fmt.Errorf("terraform output `secrets`.%s: want a name and a length >= 1", p)
		}
	}
	return outs.Secrets, nil
}

// SecretStore is where the values live (awsenv.Secrets: Secrets Manager).
type SecretStore interface {
	HasValue(ctx context.Context, name string) (bool, error)
	Generate(ctx context.Context, spec awsenv.SecretSpec) (version string, err error)
}

// SecretsFlow is `<env>:secrets` and up's secrets step: every secret
// without a current value gets one generated with its policy; a rotation
// puts a new value even when one exists, then makes what uses it pick it
// up — after the app database password, the migration (it sets the
// user's password) and a new deployment of every service; after the JWT
// key, a new deployment of the gateway. No value is ever read or printed.
type SecretsFlow struct {
	Env string
	// Specs reads the secrets' names and policies (Terraform's output).
	Specs func(ctx context.Context) (map[string]awsenv.SecretSpec, error)
	Store SecretStore
	// Released is the version the environment runs ("" before its first
	// release: then nothing uses the secrets yet).
	Released func(ctx context.Context) (string, error)
	// Migrate runs version's migration; Redeploy forces a new deployment
	// of the named services (all when none is named).
	Migrate  func(ctx context.Context, version string) error
	Redeploy func(ctx context.Context, services []string) error
	Out      io.Writer
}

func (s *SecretsFlow) logf(format string, args ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, s.Env+": "+format+"\n", args...)
	}
}

// Ensure implements Secrets: missing values only, no follow-up (up
// migrates and waits for the services right after).
func (s *SecretsFlow) Ensure(ctx context.Context) error {
	_, err := s.set(ctx, nil)
	return err
}

// Run sets the missing values and rotates the purposes named, then runs
// the follow-ups of every value that changed while something runs.
func (s *SecretsFlow) Run(ctx context.Context, rotate []string) error {
	changed, err := s.set(ctx, rotate)
	if err != nil {
		return err
	}
	if !changed[SecretDBAppPassword] && !changed[SecretJWT] {
		if len(changed) == 0 {
			s.logf("secrets: nothing to set")
		}
		return nil
	}
	v, err := s.Released(ctx)
	if err != nil {
		return err
	}
	if v == "" {
		s.logf("nothing is released yet: the first release's migration and tasks use the new values")
		return nil
	}
	if changed[SecretDBAppPassword] {
		s.logf("migration of %s: sets the application database user's new password", v)
		if err := s.Migrate(ctx, v); err != nil {
			return fmt.Errorf("%s: the app database password changed but the migration failed: %w (the services keep the old password until it succeeds: run %s:secrets again, nothing more is rotated)", s.Env, err, s.Env)
		}
		s.logf("new deployment of every service (they read the new password at start)")
		return s.Redeploy(ctx, nil)
	}
	s.logf("new deployment of the gateway (it reads the new JWT key at start; sessions signed with the old key end)")
	return s.Redeploy(ctx, []string{"gateway"})
}

func (s *SecretsFlow) set(ctx context.Context, rotate []string) (map[string]bool, error) {
	specs, err := s.Specs(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: secrets: %w", s.Env, err)
	}
	rot := map[string]bool{}
	for _, p := range rotate {
		if _, ok := specs[p]; !ok {
			return nil, fmt.Errorf("%s: -rotate: %s is not in Terraform's output `secrets`", s.Env, p)
		}
		rot[p] = true
	}
	purposes := make([]string, 0, len(specs))
	for p := range specs {
		purposes = append(purposes, p)
	}
	sort.Strings(purposes)
	changed := map[string]bool{}
	for _, p := range purposes {
		spec := specs[p]
		has, err := s.Store.HasValue(ctx, spec.Name)
		if err != nil {
			return changed, fmt.Errorf("%s: %w", s.Env, err)
		}
		what := ""
		switch {
		case !has:
			what = "set"
		case rot[p]:
			what = "rotated"
		default:
			s.logf("secret %s (%s): has a value", p, spec.Name)
			continue
		}
		version, err := s.Store.Generate(ctx, spec)
		if err != nil {
			return changed, fmt.Errorf("%s: %w", s.Env, err)
		}
		changed[p] = true
		s.logf("secret %s (%s): %s, version %s (%d characters)", p, spec.Name, what, version, spec.Length)
		if p == SecretAdminPassword && has {
			s.logf("the seed admin keeps its password until the seeder runs with -reset-admin-password")
		}
	}
	return changed, nil
}
