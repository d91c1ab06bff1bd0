package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tofu"
)

// terraformRoot is the repository's Terraform tree, relative to the
// repository root (where mage runs).
const terraformRoot = "terraform"

// Tofu builds the pinned OpenTofu into the kit's cache (once; about 5 min
// cold) and prints its path. Env: EQUIPTRACK_KIT_CACHE (cache root).
func (Infra) Tofu(ctx context.Context) error {
	p, err := tofu.Ensure(ctx, logf)
	if err != nil {
		return err
	}
	fmt.Println(p)
	return nil
}

// Validate checks every Terraform directory offline: fmt -check, init and
// validate of terraform/modules/*, terraform/envs/* and terraform/bootstrap
// against the hashicorp/aws schema replica. Env: TF_BINARY (use another
// terraform/tofu binary), INFRA_ONLINE=1 (real providers from the registry,
// committed lock files verified: GitHub Actions), EQUIPTRACK_KIT_CACHE.
func (Infra) Validate(ctx context.Context) error {
	return withChecker(ctx, func(c *tfdriver.Checker) error { return c.Validate(ctx) })
}

// Test runs the native *.tftest.hcl of every Terraform module and root
// offline (OpenTofu's test against the schema replica or mock_provider).
// Env: TF_BINARY, INFRA_ONLINE=1, EQUIPTRACK_KIT_CACHE.
func (Infra) Test(ctx context.Context) error {
	return withChecker(ctx, func(c *tfdriver.Checker) error { return c.Test(ctx) })
}

// Plan plans an environment (dev, staging) offline against the schema
// replica and prints what would be created or changed, and where the plan
// JSON is. Optional -varFile=<path> adds a .tfvars file. Env: TF_BINARY,
// INFRA_ONLINE=1 (plans with the real provider and the S3 backend: needs
// AWS credentials and TF_STATE_BUCKET, the state bucket terraform/bootstrap
// created — its output state_bucket_name), EQUIPTRACK_KIT_CACHE.
func (Infra) Plan(ctx context.Context, env string, varFile *string) error {
	if err := tfdriver.CheckEnv(terraformRoot, env); err != nil {
		return err
	}
	bucket := os.Getenv("TF_STATE_BUCKET")
	if os.Getenv("INFRA_ONLINE") == "1" && bucket == "" {
		return fmt.Errorf("infra:plan: INFRA_ONLINE=1 needs TF_STATE_BUCKET (terraform -chdir=terraform/bootstrap output -raw state_bucket_name)")
	}
	var varFiles []string
	if varFile != nil && *varFile != "" {
		if _, err := os.Stat(*varFile); err != nil {
			return fmt.Errorf("infra:plan: -varFile: %w", err)
		}
		varFiles = append(varFiles, *varFile)
	}
	return withChecker(ctx, func(c *tfdriver.Checker) error {
		if bucket != "" {
			c.Env.BackendConfig = map[string]string{"bucket": bucket}
		}
		res, err := c.Plan(ctx, env, varFiles)
		if err != nil {
			return err
		}
		fmt.Printf("Offline plan of %s: %s\n", env, tfdriver.Summary(res.Plan))
		fmt.Printf("plan JSON: %s\n", res.JSONFile)
		return nil
	})
}

func withChecker(ctx context.Context, fn func(*tfdriver.Checker) error) error {
	start := time.Now()
	mode := tfdriver.OfflineMode
	if os.Getenv("INFRA_ONLINE") == "1" {
		mode = tfdriver.OnlineMode
	}
	c, err := tfdriver.NewCheckerWith(ctx, terraformRoot, tfdriver.CheckerOptions{Mode: mode, Binary: os.Getenv(tfdriver.BinaryEnv)}, logf)
	if err != nil {
		return err
	}
	defer c.Close()
	if mg.Verbose() {
		c.Env.Verbose = true
	}
	if err := fn(c); err != nil {
		return err
	}
	logf("infra: done in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}
