// Package tfschema produces the hashicorp/aws provider schema — the document
// `terraform providers schema -json` prints — without the provider binary and
// without network access to the Terraform registry. It reads the schema back
// out of the npm package @cdktn/provider-aws, which is generated from that
// schema: every resource, data source and ephemeral resource becomes a class
// whose generated JavaScript names each argument in snake_case with its
// computed/optional/required flags, its type and whether it is a block.
//
// Ensure fetches the pinned package with `npm pack`, extracts the schema and
// caches it outside the clone; Load reads it back as terraform-json types.
// See docs/terraform-schema.md for what is recovered and what is lost.
package tfschema

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/klauspost/compress/gzip"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

const (
	// PackageName is the npm package the schema is read from.
	PackageName = "@cdktn/provider-aws"
	// PackageVersion pins it. Moving it moves the provider version: see
	// docs/terraform-schema.md ("Refreshing").
	PackageVersion = "25.7.0"
	// packageIntegrity is the registry's dist.integrity for PackageVersion
	// (`npm view @cdktn/provider-aws@<v> dist.integrity`); a tarball that
	// does not match is rejected.
	packageIntegrity = "sha512-E/nhu0yVZE4mXMgIPuI8tEFt1BExLkA7ARjihdG+/HmfDfzLr+OEF3dkFRvI6glRt30lrrBWQLwXqCJBxcmyUg=="

	// ProviderAddress is the provider the package was generated from.
	ProviderAddress = "registry.terraform.io/hashicorp/aws"

	// FormatVersion is the `terraform providers schema -json` format.
	FormatVersion = "1.0"

	// extractorVersion names the extraction recipe. Bump it whenever a
	// change here changes the produced schema, so cached schemas rebuild.
	extractorVersion = "tfschema-3"

	// npmTimeout bounds `npm pack` (a 46 MB download).
	npmTimeout = 5 * time.Minute
)

// Result says where the extracted schema is.
type Result struct {
	// Path is the cached schema JSON (`terraform providers schema -json` shape).
	Path string `json:"path"`
	// ProviderVersion is the hashicorp/aws version the package was
	// generated from, e.g. "6.66.0"; the replica provider installs itself
	// at this version.
	ProviderVersion string `json:"provider_version"`
	// PackageVersion is the npm package version read.
	PackageVersion string `json:"package_version"`
	// Stats describes the extraction (from the run that made the cache).
	Stats Stats `json:"stats"`
}

// cacheKey keys the cached schema by package version and recipe.
func cacheKey() string {
	h := sha256.Sum256([]byte(PackageName + "@" + PackageVersion + "\n" + packageIntegrity + "\n" + extractorVersion))
	return PackageVersion + "-" + hex.EncodeToString(h[:])[:12]
}

// Ensure returns the cached schema, extracting it first when the cache has
// none for this package version and extractor version. logf may be nil.
func Ensure(ctx context.Context, logf sh.Logf) (Result, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := cachedirDir("tfschema", "provider-aws-"+cacheKey())
	if err != nil {
		return Result{}, err
	}
	resultPath := filepath.Join(dir, "result.json")
	if b, err := os.ReadFile(resultPath); err == nil {
		var r Result
		if err := json.Unmarshal(b, &r); err == nil && r.ProviderVersion != "" {
			r.Path = filepath.Join(dir, "schema.json")
			if _, err := os.Stat(r.Path); err == nil {
				return r, nil
			}
		}
	}

	if err := cachedir.MayBuild(ctx, "the hashicorp/aws provider schema ("+resultPath+")"); err != nil {
		return Result{}, fmt.Errorf("tfschema: %w", err)
	}
	start := time.Now()
	tgz, err := fetchPackage(ctx, logf)
	if err != nil {
		return Result{}, err
	}
	t0 := time.Now()
	ps, meta, stats, err := extractFile(ctx, tgz)
	if err != nil {
		return Result{}, fmt.Errorf("extract schema from %s: %w", tgz, err)
	}
	data, err := json.Marshal(ps)
	if err != nil {
		return Result{}, fmt.Errorf("encode schema: %w", err)
	}
	logf("tfschema: extracted %d resources, %d data sources, %d attributes from %s@%s (provider %s) in %s",
		stats.Resources, stats.DataSources, stats.Attributes, PackageName, meta.PackageVersion, meta.ProviderVersion,
		time.Since(t0).Round(10*time.Millisecond))
	for _, w := range firstN(stats.Warnings, 5) {
		logf("tfschema: warning: %s", w)
	}

	r := Result{
		Path:            filepath.Join(dir, "schema.json"),
		ProviderVersion: meta.ProviderVersion,
		PackageVersion:  meta.PackageVersion,
		Stats:           stats,
	}
	if err := writeAtomic(r.Path, data); err != nil {
		return Result{}, err
	}
	rb, _ := json.MarshalIndent(r, "", "  ")
	if err := writeAtomic(resultPath, rb); err != nil {
		return Result{}, err
	}
	logf("tfschema: schema %s (%d KB) ready in %s", r.Path, len(data)/1024, time.Since(start).Round(10*time.Millisecond))
	return r, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// writeAtomic writes data to p through a temporary file and a rename, so a
// concurrent reader (another test binary) never sees half a file.
func writeAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(f.Name())
	// CreateTemp makes 0600 files; the cache is shared like any build cache.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// packageMeta is what package.json says about the generated provider.
type packageMeta struct {
	PackageName, PackageVersion, ProviderName, ProviderVersion string
}

func parsePackageJSON(b []byte) (packageMeta, error) {
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Cdktn   struct {
			Provider struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"provider"`
		} `json:"cdktn"`
		Cdktf struct {
			Provider struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"provider"`
		} `json:"cdktf"`
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return packageMeta{}, fmt.Errorf("package.json: %w", err)
	}
	m := packageMeta{PackageName: pj.Name, PackageVersion: pj.Version,
		ProviderName: pj.Cdktn.Provider.Name, ProviderVersion: pj.Cdktn.Provider.Version}
	if m.ProviderVersion == "" { // packages generated before the cdktf → cdktn rename
		m.ProviderName, m.ProviderVersion = pj.Cdktf.Provider.Name, pj.Cdktf.Provider.Version
	}
	if m.ProviderName != ProviderAddress || m.ProviderVersion == "" {
		return m, fmt.Errorf("package.json: provider is %q version %q, want %s", m.ProviderName, m.ProviderVersion, ProviderAddress)
	}
	return m, nil
}

// extractFile reads the schema out of the package tarball at tgz.
func extractFile(ctx context.Context, tgz string) (*tfjson.ProviderSchemas, packageMeta, Stats, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, packageMeta{}, Stats{}, err
	}
	defer f.Close()
	return extract(ctx, f)
}

// extract streams the tarball: only package.json and lib/<dir>/**/*.js are
// read (the 150 MB .jsii assembly and the .d.ts files are skipped), and
// files are parsed by a worker per CPU while the next ones decompress.
func extract(ctx context.Context, r io.Reader) (*tfjson.ProviderSchemas, packageMeta, Stats, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, packageMeta{}, Stats{}, fmt.Errorf("gunzip: %w", err)
	}
	tr := tar.NewReader(zr)

	type job struct {
		mod string
		src []byte
	}
	jobs := make(chan job, 8)
	var (
		mu   sync.Mutex
		mods = map[string]*jsModule{}
		wg   sync.WaitGroup
	)
	// Each worker owns its own modules and merges them at the end, so the
	// parsers never share a map.
	for range max(1, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]*jsModule{}
			for j := range jobs {
				m := local[j.mod]
				if m == nil {
					m = &jsModule{dir: j.mod, classes: map[string]*jsClass{}, hclFunc: map[string][]hclAttr{}}
					local[j.mod] = m
				}
				m.parseJS(j.src)
			}
			mu.Lock()
			defer mu.Unlock()
			for name, m := range local {
				if g := mods[name]; g != nil {
					for k, v := range m.classes {
						g.classes[k] = v
					}
					for k, v := range m.hclFunc {
						g.hclFunc[k] = v
					}
				} else {
					mods[name] = m
				}
			}
		}()
	}

	var (
		meta    packageMeta
		readErr error
		buf     []byte
	)
	files := 0
	for {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("read tarball: %w", err)
			break
		}
		name := hdr.Name
		if name == "package/package.json" {
			b, err := io.ReadAll(tr)
			if err != nil {
				readErr = fmt.Errorf("read %s: %w", name, err)
				break
			}
			if meta, err = parsePackageJSON(b); err != nil {
				readErr = err
				break
			}
			continue
		}
		mod, ok := jsModuleOf(name)
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue
		}
		// Read into one reused buffer and keep only the code before the
		// source map (most of the bytes): fewer, smaller allocations.
		if int64(cap(buf)) < hdr.Size {
			buf = make([]byte, hdr.Size)
		}
		b := buf[:hdr.Size]
		if _, err := io.ReadFull(tr, b); err != nil {
			readErr = fmt.Errorf("read %s: %w", name, err)
			break
		}
		jobs <- job{mod: mod, src: bytes.Clone(stripSourceMap(b))}
		files++
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, meta, Stats{}, readErr
	}
	if meta.ProviderVersion == "" {
		return nil, meta, Stats{}, errors.New("package/package.json missing from tarball")
	}
	if files == 0 {
		return nil, meta, Stats{}, errors.New("no lib/*/index.js in tarball")
	}

	list := make([]*jsModule, 0, len(mods))
	for _, m := range mods {
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].dir < list[j].dir })
	b, err := newBuilder(list)
	if err != nil {
		return nil, meta, Stats{}, err
	}
	ps, err := b.providerSchema()
	if err != nil {
		return nil, meta, b.stats, err
	}
	return &tfjson.ProviderSchemas{
		FormatVersion: FormatVersion,
		Schemas:       map[string]*tfjson.ProviderSchema{ProviderAddress: ps},
	}, meta, b.stats, nil
}

// jsModuleOf maps package/lib/<dir>/…/x.js to <dir>; the top-level
// lib/index.js and lib/lazy-index.js only re-export and are skipped.
func jsModuleOf(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "package/lib/")
	if !ok || path.Ext(rest) != ".js" {
		return "", false
	}
	dir, _, ok := strings.Cut(rest, "/")
	return dir, ok
}
