package targets

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// A repository that `// mage:import`s the targets compiles every package
// they depend on into its magefile. Test support (testing,
// testcontainers-go) and the replica provider's server (terraform-plugin-go)
// belong to tests and to the replica's own binary, never to that list.
// Each entry rules out itself and everything under it.
var forbiddenDeps = []string{"testing", "github.com/testcontainers", "github.com/hashicorp/terraform-plugin-go"}

// forbidden returns the packages of deps that forbiddenDeps rules out.
func forbidden(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, f := range forbiddenDeps {
			if d == f || strings.HasPrefix(d, f+"/") {
				bad = append(bad, d)
				break
			}
		}
	}
	return bad
}

func TestForbiddenMatchesPackagesAndTheirSubpackages(t *testing.T) {
	got := forbidden([]string{
		"testing", "testing/fstest", "testingx", "github.com/example/testing",
		"github.com/testcontainers/testcontainers-go", "github.com/testcontainers/testcontainers-go/modules/postgres",
		"github.com/hashicorp/terraform-plugin-go/tfprotov6", "github.com/hashicorp/terraform-plugin-go-extra",
		"github.com/hashicorp/terraform-json", "fmt",
	})
	want := []string{
		"testing", "testing/fstest",
		"github.com/testcontainers/testcontainers-go", "github.com/testcontainers/testcontainers-go/modules/postgres",
		"github.com/hashicorp/terraform-plugin-go/tfprotov6",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forbidden = %q, want %q", got, want)
	}
}

// The dependency list of the targets (as `go list -deps` prints it for a
// build, tests excluded) holds none of forbiddenDeps.
func TestTargetsImportNoTestSupportNorProviderServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := sh.Output(ctx, "go", "list", "-deps", "github.com/equiptrack/release-kit/magefiles/targets")
	if err != nil {
		t.Fatal(err)
	}
	deps := strings.Fields(out)
	if len(deps) < 50 {
		t.Fatalf("go list -deps printed %d packages; want the whole list:\n%s", len(deps), out)
	}
	if bad := forbidden(deps); len(bad) > 0 {
		t.Errorf("magefiles/targets depends on %d package(s) a magefile must not compile (find the edge with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./magefiles/targets`):\n  %s",
			len(bad), strings.Join(bad, "\n  "))
	}
	t.Logf("magefiles/targets compiles %d packages", len(deps))
}
