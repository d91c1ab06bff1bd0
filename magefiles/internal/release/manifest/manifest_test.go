package manifest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const good = `{
  "application": "equiptrack",
  "prebuild": [{"command": ["go", "build", "-ldflags", "-X main.breakMode=${EXAMPLE_BREAK}", "-o", "bin/app", "."], "env": {"CGO_ENABLED": "0", "X": "${HOME_X}-$PLAIN"}}],
  "test": {"command": ["go", "test", "./..."], "quick": ["go", "test", "-short", "./..."]},
  "services": [
    {"name": "gateway", "context": ".", "dockerfile": "Dockerfile", "build_args": {"SERVICE": "gateway", "V": "${VER}"}, "port": 8080, "health_path": "/readyz", "public_health_path": "/api/readyz", "cpu": 512, "memory": 1024, "public_path": "/api/*"},
    {"name": "inventory", "context": ".", "dockerfile": "Dockerfile", "build_args": {"SERVICE": "inventory"}, "port": 8080, "health_path": "/readyz", "public_health_path": "/api/inventory/readyz", "cpu": 256, "memory": 512, "public_path": null}
  ],
  "migrate": {"service": "inventory", "command": ["/app", "migrate"]},
  "smoke": {"path": "/api/inventory/items", "expect_status": 200},
  "page": {"path": "/"}
}`

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseExpands(t *testing.T) {
	m, err := Parse([]byte(good), env(map[string]string{"EXAMPLE_BREAK": "readyz", "VER": "v1.2.3", "PLAIN": "no"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Prebuild[0].Command[3]; got != "-X main.breakMode=readyz" {
		t.Errorf("prebuild flag: %q", got)
	}
	// Unset → empty; the unbraced $PLAIN is left alone.
	if got := m.Prebuild[0].Env["X"]; got != "-$PLAIN" {
		t.Errorf("env X: %q", got)
	}
	if got := m.Services[0].BuildArgs["V"]; got != "v1.2.3" {
		t.Errorf("build arg: %q", got)
	}
	if !reflect.DeepEqual(m.Names(), []string{"gateway", "inventory"}) {
		t.Errorf("names: %v", m.Names())
	}
	if m.Services[1].PublicPath != nil || *m.Services[0].PublicPath != "/api/*" {
		t.Errorf("public paths: %v %v", m.Services[0].PublicPath, m.Services[1].PublicPath)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	cases := map[string]struct{ from, to, want string }{
		"unknown field": {`"port": 8080, "health_path": "/readyz", "public_health_path": "/api/readyz"`, `"prot": 8080, "health_path": "/readyz", "public_health_path": "/api/readyz"`, `unknown field "prot"`},
		"wrong type":    {`"port": 8080, "health_path": "/readyz", "public_health_path": "/api/readyz"`, `"port": "8080", "health_path": "/readyz", "public_health_path": "/api/readyz"`, `services.port: want int, got JSON string`},
		"port":          {`"port": 8080, "health_path": "/readyz", "public_health_path": "/api/readyz"`, `"port": 0, "health_path": "/readyz", "public_health_path": "/api/readyz"`, `services[0].port: 0 is not a port (1-65535)`},
		"migrate svc":   {`"service": "inventory", "command"`, `"service": "billing", "command"`, `migrate.service: "billing" is not a listed service`},
		"dup name":      {`"name": "gateway"`, `"name": "inventory"`, `services[1].name: "inventory" is listed twice`},
		"bad name":      {`"name": "gateway"`, `"name": "Gate_way"`, `services[0].name: "Gate_way" is not a lowercase DNS label (a-z, 0-9, -)`},
		"seeder name":   {`"name": "gateway"`, `"name": "seeder"`, `services[0].name: "seeder" is reserved for the kit's seeder image`},
		"fargate":       {`"cpu": 512, "memory": 1024`, `"cpu": 512, "memory": 1000`, `services[0].cpu/memory: 512/1000 MiB is not a Fargate size`},
		"health path":   {`"health_path": "/readyz", "public_health_path": "/api/readyz"`, `"health_path": "readyz", "public_health_path": "/api/readyz"`, `services[0].health_path: "readyz" must start with /`},
		"context":       {`"context": ".", "dockerfile": "Dockerfile", "build_args": {"SERVICE": "gateway"`, `"context": "../x", "dockerfile": "Dockerfile", "build_args": {"SERVICE": "gateway"`, `services[0].context: "../x" must be a path inside the application directory`},
		"test":          {`"command": ["go", "test", "./..."]`, `"command": []`, `test.command: empty`},
		"syntax":        {`"page": {"path": "/"}`, `"page": {"path": "/",}`, `line 11: invalid character '}'`},
		"smoke":         {`"path": "/api/inventory/items"`, `"path": "api"`, `smoke.path: "api" must start with /`},
		"health check":  {`"cpu": 512, "memory": 1024`, `"cpu": 512, "memory": 1024, "health_check": ["/equiptrack", "probe"]`, `services[0].health_check: ["/equiptrack" "probe"] must be ["CMD", program, args…] or ["CMD-SHELL", script]`},
		"command":       {`"cpu": 512, "memory": 1024`, `"cpu": 512, "memory": 1024, "command": ["serve", ""]`, `services[0].command[1]: empty`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(good, c.from, c.to, 1)
			if src == good {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			_, err := Parse([]byte(src), env(nil))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want prefix %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	m := Manifest{}
	err := m.Validate()
	want := `application: empty; test.command: empty; services: empty; migrate.service: empty; migrate.command: empty; smoke.path: "" must start with /`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestFargateSizes(t *testing.T) {
	for _, ok := range [][2]int{{256, 512}, {256, 1024}, {256, 2048}, {512, 1024}, {512, 4096}, {1024, 3072}, {4096, 30720}} {
		if !validFargate(ok[0], ok[1]) {
			t.Errorf("%v refused", ok)
		}
	}
	for _, bad := range [][2]int{{256, 1536}, {256, 4096}, {512, 512}, {300, 512}, {0, 0}, {1024, 2500}} {
		if validFargate(bad[0], bad[1]) {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestLoadChecksFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, env(nil))
	want := "manifest " + filepath.Join(dir, FileName) + ": services[0].dockerfile: " + filepath.Join(dir, "Dockerfile") + " not found"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v\nwant prefix %s", err, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir {
		t.Errorf("dir %q", m.Dir)
	}
	_, err = Load(filepath.Join(dir, "nope"), env(nil))
	if err == nil || !strings.HasSuffix(err.Error(), ": not found (set APP_DIR to the application's directory)") {
		t.Errorf("missing manifest: %v", err)
	}
}

// The example application's manifest, as shipped, loads.
func TestExampleAppManifest(t *testing.T) {
	dir, err := AppDir(context.Background(), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "exampleapp" {
		t.Fatalf("default app dir %s", dir)
	}
	m, err := Load(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gateway", "inventory", "location", "user", "reporting", "ui"}; !reflect.DeepEqual(m.Names(), want) {
		t.Errorf("services %v, want %v", m.Names(), want)
	}
	if d, _ := AppDir(context.Background(), env(map[string]string{"APP_DIR": "/srv/app"})); d != "/srv/app" {
		t.Errorf("APP_DIR ignored: %s", d)
	}
}
