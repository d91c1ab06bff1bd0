package envtest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
)

// The roots are thin: a provider, the backend, one call of modules/environment with what makes the
// environment itself, and outputs that pass the module's through. Everything else is written once,
// in the modules. These tests read the roots' HCL (no plan), so they run under -short too.

// rootFiles are the only *.tf files a root may hold.
var rootFiles = []string{"main.tf", "outputs.tf", "versions.tf"}

// rootBody parses every *.tf file of envs/<env> and returns their top-level blocks.
func rootBlocks(t *testing.T, env string) (map[string][]*hclsyntax.Block, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(terraformRoot, "envs", env, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	blocks := map[string][]*hclsyntax.Block{}
	for _, f := range files {
		names = append(names, filepath.Base(f))
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", f, diags)
		}
		body := file.Body.(*hclsyntax.Body)
		for name := range body.Attributes {
			t.Errorf("envs/%s/%s: top-level attribute %q", env, filepath.Base(f), name)
		}
		for _, b := range body.Blocks {
			blocks[b.Type] = append(blocks[b.Type], b)
		}
	}
	sort.Strings(names)
	return blocks, names
}

// literal evaluates a constant expression (no references), or fails the test.
func literal(t *testing.T, where string, e hclsyntax.Expression) cty.Value {
	t.Helper()
	if vs := e.Variables(); len(vs) > 0 {
		t.Fatalf("%s: must be a literal, refers to %s", where, vs[0].RootName())
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", where, diags)
	}
	return v
}

// moduleCall returns the literal arguments of a root's `module "environment"` call.
func moduleCall(t *testing.T, env string) map[string]cty.Value {
	t.Helper()
	blocks, _ := rootBlocks(t, env)
	ms := blocks["module"]
	if len(ms) != 1 {
		t.Fatalf("envs/%s: %d module blocks, want exactly one (environment)", env, len(ms))
	}
	out := map[string]cty.Value{}
	for name, a := range ms[0].Body.Attributes {
		out[name] = literal(t, fmt.Sprintf("envs/%s module.environment.%s", env, name), a.Expr)
	}
	return out
}

func TestRootsAreThin(t *testing.T) {
	outputs := map[string][]string{}
	for _, env := range envs {
		blocks, files := rootBlocks(t, env)
		if !slices.Equal(files, rootFiles) {
			t.Errorf("envs/%s holds %v, want exactly %v (values in main.tf, no variables.tf or terraform.tfvars)", env, files, rootFiles)
		}
		for typ, bs := range blocks {
			switch typ {
			case "terraform", "provider", "module", "output":
			default:
				t.Errorf("envs/%s: %d %q block(s); a root holds only terraform, provider, module \"environment\" and output blocks (put it in modules/environment)", env, len(bs), typ)
			}
		}
		if tf := blocks["terraform"]; len(tf) != 1 {
			t.Errorf("envs/%s: %d terraform blocks, want 1", env, len(tf))
		} else {
			var backends []string
			for _, b := range tf[0].Body.Blocks {
				if b.Type == "backend" {
					backends = append(backends, b.Labels[0])
					ul, ok := b.Body.Attributes["use_lockfile"]
					if !ok || !literal(t, "backend use_lockfile", ul.Expr).True() {
						t.Errorf("envs/%s: the S3 backend must set use_lockfile = true", env)
					}
				}
			}
			if strings.Join(backends, ",") != "s3" {
				t.Errorf("envs/%s: backends %v, want one s3 backend", env, backends)
			}
		}
		if ps := blocks["provider"]; len(ps) != 1 || ps[0].Labels[0] != "aws" {
			t.Errorf("envs/%s: want exactly one provider block, aws", env)
		} else if r, ok := ps[0].Body.Attributes["region"]; !ok || literal(t, "provider region", r.Expr).AsString() != wantRegion[env] {
			t.Errorf("envs/%s: provider region must be the literal %q", env, wantRegion[env])
		}
		ms := blocks["module"]
		if len(ms) != 1 || ms[0].Labels[0] != "environment" {
			t.Fatalf("envs/%s: want exactly one module block, environment", env)
		}
		if src := literal(t, "module source", ms[0].Body.Attributes["source"].Expr); src.AsString() != "../../modules/environment" {
			t.Errorf("envs/%s: module source %q, want ../../modules/environment", env, src.AsString())
		}
		call := moduleCall(t, env)
		if call["environment"].AsString() != env {
			t.Errorf("envs/%s: module environment = %q", env, call["environment"].AsString())
		}
		for _, o := range blocks["output"] {
			name := o.Labels[0]
			outputs[env] = append(outputs[env], name)
			v, ok := o.Body.Attributes["value"]
			tr, isTraversal := v.Expr.(*hclsyntax.ScopeTraversalExpr)
			if !ok || !isTraversal || len(o.Body.Attributes) != 1 || len(o.Body.Blocks) != 0 {
				t.Errorf("envs/%s: output %q must hold only value = module.environment.%s (descriptions live in the module)", env, name, name)
				continue
			}
			var path []string
			for _, step := range tr.Traversal {
				switch s := step.(type) {
				case hcl.TraverseRoot:
					path = append(path, s.Name)
				case hcl.TraverseAttr:
					path = append(path, s.Name)
				default:
					path = append(path, "?")
				}
			}
			if got := strings.Join(path, "."); got != "module.environment."+name {
				t.Errorf("envs/%s: output %q = %s, want module.environment.%s", env, name, got, name)
			}
		}
		sort.Strings(outputs[env])
		for _, c := range contractOuts {
			if !slices.Contains(outputs[env], c) {
				t.Errorf("envs/%s: output %q missing (the release targets read it)", env, c)
			}
		}
	}
	if !slices.Equal(outputs["dev"], outputs["staging"]) {
		t.Errorf("the roots output different facts: dev %v, staging %v", outputs["dev"], outputs["staging"])
	}
}

// The state key the environment's roles may use is the one its backend file names; the bucket is
// in neither (bootstrap names it).
func TestBackendAgreesWithTheModuleCall(t *testing.T) {
	for _, env := range envs {
		be := readBackend(t, env)
		call := moduleCall(t, env)
		if got := call["state_key"]; got == cty.NilVal || got.IsNull() || got.AsString() != be["key"] {
			t.Errorf("envs/%s: module state_key = %v but %s.s3.tfbackend key = %q", env, got, env, be["key"])
		}
		if got, ok := call["state_bucket_name"]; ok {
			t.Errorf("envs/%s: module state_bucket_name = %v: leave it to the module's default (bootstrap's name)", env, got)
		}
	}
}

// exampleManifest is the services manifest the kit releases by default: the one description of
// the application that the environments' services must match.
var exampleManifest = filepath.Join("..", "..", "exampleapp", "manifest.json")

// TestRootsMatchTheManifest holds each root's services to the manifest: the same set, and per
// service the same size, port, readiness path, route, command and container health check (so an
// application whose images have no /equiptrack says so in its manifest, and the task definitions
// follow); and the same migration.
func TestRootsMatchTheManifest(t *testing.T) {
	b, err := os.ReadFile(exampleManifest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(b, nil)
	if err != nil {
		t.Fatalf("%s: %v", exampleManifest, err)
	}
	if len(m.Services) != 6 {
		t.Fatalf("the manifest lists %d services, want the six of the example application", len(m.Services))
	}
	for _, env := range envs {
		call := moduleCall(t, env)
		svcs := call["services"]
		if svcs.IsNull() || !svcs.CanIterateElements() {
			t.Fatalf("envs/%s: services is not a literal map", env)
		}
		var got []string
		for it := svcs.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			got = append(got, k.AsString())
		}
		sort.Strings(got)
		want := m.Names()
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("envs/%s: services %v, manifest %v", env, got, want)
			continue
		}
		for _, s := range m.Services {
			var v cty.Value // an HCL object constructor is an object, not a map
			if svcs.Type().IsObjectType() {
				v = svcs.GetAttr(s.Name)
			} else {
				v = svcs.Index(cty.StringVal(s.Name))
			}
			attr := func(name string) cty.Value {
				if !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
					return cty.NullVal(cty.DynamicPseudoType)
				}
				return v.GetAttr(name)
			}
			publicPath := ""
			if s.PublicPath != nil {
				publicPath = *s.PublicPath
			}
			for _, c := range []struct {
				field string
				got   string
				want  string
			}{
				{"cpu", ctyString(attr("cpu")), fmt.Sprint(s.CPU)},
				{"memory", ctyString(attr("memory")), fmt.Sprint(s.Memory)},
				{"port", ctyString(attr("port")), fmt.Sprint(s.Port)},
				{"health_path", ctyString(attr("health_path")), s.HealthPath},
				{"public_path", ctyString(attr("public_path")), publicPath},
				{"command", ctyString(attr("command")), strings.Join(s.Command, " ")},
				{"health_check", ctyString(attr("health_check")), strings.Join(s.HealthCheck, " ")},
			} {
				if c.got != c.want {
					t.Errorf("envs/%s: %s.%s = %q, the manifest says %q", env, s.Name, c.field, c.got, c.want)
				}
			}
		}
		if got := ctyString(call["migrate_service"]); got != m.Migrate.Service {
			t.Errorf("envs/%s: migrate_service %q, the manifest says %q", env, got, m.Migrate.Service)
		}
		if got := ctyString(call["migrate_command"]); got != strings.Join(m.Migrate.Command, " ") {
			t.Errorf("envs/%s: migrate_command %q, the manifest says %q", env, got, strings.Join(m.Migrate.Command, " "))
		}
	}
}

// ctyString renders a literal for comparison: strings and numbers as written, lists and tuples
// joined by spaces, null (or absent) as "".
func ctyString(v cty.Value) string {
	switch {
	case v.IsNull():
		return ""
	case v.Type() == cty.String:
		return v.AsString()
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case v.CanIterateElements():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, ctyString(e))
		}
		return strings.Join(parts, " ")
	}
	return v.GoString()
}
