package targets

import (
	"context"
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
