package gotool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// A file in the shape of go-getter's get_gcs.go: a type whose fields need
// no cut import, exported methods whose bodies do, an unexported helper
// whose signature does, and one that needs neither.
const cutInput = `// Copyright Example
// SPDX-License-Identifier: MPL-2.0

package getter

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// GCSGetter downloads from GCS.
type GCSGetter struct {
	getter
	Timeout time.Duration
}

var defaultScopes = []string{storage.ScopeReadOnly}

func (g *GCSGetter) ClientMode(u *url.URL) (ClientMode, error) {
	client, err := g.getClient(context.Background())
	if err != nil {
		return 0, err
	}
	_ = client
	return ClientModeFile, nil
}

func (g *GCSGetter) Get(dst string, u *url.URL) error {
	return fmt.Errorf("%v", defaultScopes)
}

func (g *GCSGetter) getClient(ctx context.Context) (*storage.Client, error) {
	return storage.NewClient(ctx, option.WithScopes(defaultScopes...))
}

func (g *GCSGetter) parse(u *url.URL) string {
	return strings.TrimPrefix(u.Path, "/")
}
`

const cutWant = `// Copyright Example
// SPDX-License-Identifier: MPL-2.0

package getter

import kitcutErrors "errors"
import (
	"net/url"
	"strings"
	"time"
)

type GCSGetter struct {
	getter
	Timeout time.Duration
}

func (g *GCSGetter) ClientMode(u *url.URL) (ClientMode, error) {
	return *new(ClientMode), kitcutErrors.New("cut by test: (*GCSGetter).ClientMode is not built into this binary")
}
func (g *GCSGetter) Get(dst string, u *url.URL) error {
	return kitcutErrors.New("cut by test: (*GCSGetter).Get is not built into this binary")
}
func (g *GCSGetter) parse(u *url.URL) string {
	return strings.TrimPrefix(u.Path, "/")
}
`

func TestCutFile(t *testing.T) {
	got, err := cutFile([]byte(cutInput), []string{"cloud.google.com/go/storage", "google.golang.org/api/option"}, "cut by test")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != cutWant {
		t.Errorf("cut file:\n%s\nwant:\n%s", got, cutWant)
	}
}

func TestCutFileRefusesWhatItCannotCut(t *testing.T) {
	for _, tc := range []struct{ name, src, imp, want string }{
		{"not imported", cutInput, "github.com/aws/aws-sdk-go-v2/service/s3", `does not import "github.com/aws/aws-sdk-go-v2/service/s3"`},
		{"exported signature", "package p\n\nimport \"cloud.google.com/go/storage\"\n\nfunc Open() *storage.Client { return nil }\n",
			"cloud.google.com/go/storage", "exported Open needs a cut import in its signature"},
		{"exported type", "package p\n\nimport \"cloud.google.com/go/storage\"\n\ntype Handle struct{ c *storage.Client }\n",
			"cloud.google.com/go/storage", "exported Handle needs a cut import"},
	} {
		_, err := cutFile([]byte(tc.src), []string{tc.imp}, "cut")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestApplyCutsLeavesTheSDKsOut cuts go-getter's cloud getters in a module
// that imports go-getter, as the tool builds do, with an empty module cache
// (a cold machine's), and lists what the build would compile: go-getter
// from the edited copy, no Google Cloud Storage, no AWS SDK. (ApplyCuts
// checks that the files import what the cut names.)
func TestApplyCutsLeavesTheSDKsOut(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves go-getter's module graph from the module proxy or cache")
	}
	dir, work := t.TempDir(), t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fetch\n\ngo 1.26\n\nrequire github.com/hashicorp/go-getter v1.8.6\n")
	write("main.go", "package main\n\nimport getter \"github.com/hashicorp/go-getter\"\n\nfunc main() { _ = getter.Getters }\n")
	o := sh.Options{ExtraEnv: append(append([]string{}, buildEnv...), "GOFLAGS=-mod=mod -modcacherw", "GOMODCACHE="+t.TempDir())}
	deps := func() string {
		o := o
		o.Dir = dir
		out, err := o.Run(context.Background(), "go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := ApplyCuts(context.Background(), o, GoGetterCloudGetters, dir, work); err != nil {
		t.Fatal(err)
	}
	after := deps()
	for _, gone := range []string{"cloud.google.com/go/storage", "github.com/aws/aws-sdk-go-v2/service/s3", "google.golang.org/grpc"} {
		if strings.Contains(after, gone+"\n") {
			t.Errorf("after the cut the build still compiles %s", gone)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after, "github.com/hashicorp/go-getter\n") {
		t.Errorf("after the cut the build compiles no go-getter:\n%s", after)
	}
	want := "replace github.com/hashicorp/go-getter v1.8.6 => " + filepath.Join(work, "cut", "github.com_hashicorp_go-getter@v1.8.6") + "\n"
	if !strings.HasSuffix(string(gomod), want) {
		t.Errorf("go.mod ends:\n%s\nwant the line %q", gomod, want)
	}
}
