// Command fakeaws runs the fake AWS on its own, seeded with one environment
// as Terraform leaves it (awsfixture), and prints the variables that point
// the dev:* / staging:* targets at it — to try the targets by hand without
// an AWS account:
//
//	go run ./magefiles/internal/release/awsenv/fakeaws/cmd/fakeaws -env staging > /tmp/fake.env &
//	set -a; . /tmp/fake.env; set +a
//	go run magefile.go staging:release v1.1.0
//
// It runs until interrupted; nothing is kept.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
)

// tb is the fixture's stand-in for a test: fatal errors end the command.
type tb struct {
	dir      string
	cleanups []func()
}

func (*tb) Helper() {}
func (t *tb) Fatal(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"fakeaws:"}, args...)...)
	t.close()
	os.Exit(1)
}
func (t *tb) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *tb) TempDir() string {
	d, err := os.MkdirTemp(t.dir, "app-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
func (t *tb) close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	os.RemoveAll(t.dir)
}

func main() {
	env := flag.String("env", "staging", "environment to seed: dev or staging")
	flag.Parse()
	regions := map[string]string{"dev": "us-west-2", "staging": "us-east-1"}
	region, ok := regions[*env]
	if !ok {
		fmt.Fprintf(os.Stderr, "fakeaws: -env=%q: want dev or staging\n", *env)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "fakeaws-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeaws:", err)
		os.Exit(1)
	}
	t := &tb{dir: dir}
	versions := []string{"v1.0.0", "v1.1.0", "v1.2.0"}
	if *env == "dev" {
		versions = []string{"0a1b2c3", "1b2c3d4"}
	}
	w := awsfixture.New(t, awsfixture.Options{Env: *env, Region: region, Immutable: *env == "staging", Versions: versions})
	app := awsfixture.AppDir(t)
	fmt.Printf("# fake AWS for %s (%s), images in ECR: %v; services run %s\n", *env, region, versions, versions[0])
	for _, kv := range [][2]string{
		{"AWS_ENDPOINT_URL", w.Fake.Endpoint()}, {"AWS_REGION", region},
		{"AWS_ACCESS_KEY_ID", "AKIDFAKE"}, {"AWS_SECRET_ACCESS_KEY", "fake-secret"},
		{"AWS_CONFIG_FILE", filepath.Join(dir, "none")}, {"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none")},
		{"APP_DIR", app}, {"EQUIPTRACK_AWS_POLL", "5ms"}, {"EQUIPTRACK_AWS_BACKOFF", "5ms"},
	} {
		fmt.Printf("%s=%s\n", kv[0], kv[1])
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	t.close()
}
