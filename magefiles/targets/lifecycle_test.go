package targets

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input to the lifecycle targets is refused before anything is read
// from AWS or Terraform: these run without credentials or a network.
func TestLifecycleTargetsRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"destroy without -confirm", func() error { return Dev{}.Destroy(ctx, nil) }, "dev: destroy needs -confirm=<environment name>: -confirm=dev"},
		{"destroy confirming another env", func() error { return Staging{}.Destroy(ctx, str("dev")) }, `staging: destroy needs -confirm=<environment name>: -confirm="dev" does not name staging`},
		{"dev up with a semver", func() error { return Dev{}.Up(ctx, "v1.0.0") }, "dev:up: "},
		{"staging up with a sha", func() error { return Staging{}.Up(ctx, "abc1234") }, "staging:up: "},
		{"apply with a bad allow list", func() error { return Dev{}.Apply(ctx, nil, str("module.a, module b")) }, `-allowReplace="module.a, module b": want resource addresses separated by commas`},
		{"secrets rotating an unknown secret", func() error { return Dev{}.Secrets(ctx, str("db_password")) }, `dev:secrets: -rotate="db_password": "db_password" is not a secret (want admin_password, db_app_password, jwt, or all)`},
		{"secrets rotating all and more", func() error { return Staging{}.Secrets(ctx, str("all,jwt")) }, `staging:secrets: -rotate="all,jwt": "all" is not a secret`},
		{"apply a missing plan file", func() error { return Dev{}.Apply(ctx, str("/nonexistent/p.tfplan"), nil) }, "dev:apply: -plan: stat /nonexistent/p.tfplan: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// dev:verify through the target against the AWS backend's fake: its
// services run two tasks each, the committed dev says one.
func TestDevVerifyAgainstTheFakeAWS(t *testing.T) {
	awsWorld(t, "dev", "us-west-2", false, "abc1234")
	t.Chdir(filepath.Join("..", "..")) // the repository root, where terraform/ is
	err := Dev{}.Verify(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "dev: 6 service(s) not as terraform/envs/dev says:\n  gateway: desired 2, running 2, pending 0, rollout COMPLETED (want 1 running, COMPLETED)\n") {
		t.Fatalf("err = %v", err)
	}
	// A credential of another account is refused before anything else.
	t.Setenv("AWS_REGION", "us-east-1")
	if err := (Dev{}).Verify(context.Background()); err == nil || !strings.Contains(err.Error(), "dev: the AWS region is us-east-1, dev lives in us-west-2") {
		t.Errorf("wrong region: %v", err)
	}
}
