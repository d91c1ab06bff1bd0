package tofu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
)

// slim is what the kit's OpenTofu is built without: the remote-state
// backends and the state-encryption key providers of other clouds. Their
// SDKs (Kubernetes' client-go, Azure's, Google Cloud KMS, Consul, Alibaba,
// Tencent, PostgreSQL) are a third of the source a full build compiles —
// minutes of a cold test run on two cores — and nothing here uses them:
// the roots keep their state in S3 (backend "s3"), the tests in local
// files, and the kit encrypts nothing with a cloud key. Everything else is
// OpenTofu's own code at the pinned release, unchanged: the language,
// init, validate, plan, apply, test, the s3, http, local and cloud
// backends, the aws_kms, pbkdf2 and external key providers.
//
// A configuration that names a left-out backend fails at init with
// OpenTofu's own `Unsupported backend type` error (`There is no backend
// type named "gcs".`).
//
// Its module installer is built without go-getter's GCS and S3 getters
// (gotool.GoGetterCloudGetters): `gcs::` and `s3::` module sources fail
// with the cut's error; the kit's roots use local modules.
var slim = recipe{
	Backends:     []string{"azurerm", "consul", "cos", "gcs", "kubernetes", "oss", "pg"},
	KeyProviders: []string{"azure_vault", "gcp_kms", "openbao"},
	Cuts:         gotool.GoGetterCloudGetters,
}

// recipe names the backends and key providers a build leaves out, and the
// imports it cuts from the modules it compiles.
type recipe struct {
	Backends     []string // names as a backend block takes them ("gcs")
	KeyProviders []string // package names under internal/encryption/keyprovider
	Cuts         []gotool.Cut
}

// The two files that register them. Leaving an entry out of its table
// (and its import) is all it takes: nothing else in cmd/tofu imports these
// packages, so the compiler never sees them.
const (
	backendsFile     = "internal/backend/init/init.go"
	keyProvidersFile = "internal/encryption/default_registry.go"
)

// String says what the build leaves out, for progress lines.
func (r recipe) String() string {
	return "without the " + strings.Join(r.Backends, ", ") + " backends, the " + strings.Join(r.KeyProviders, ", ") + " key providers and go-getter's cloud getters"
}

// key identifies the recipe in the cache path, so a change rebuilds.
func (r recipe) key() string {
	key := strings.Join(r.Backends, ",") + ";" + strings.Join(r.KeyProviders, ",")
	for _, c := range r.Cuts {
		key += ";" + c.String()
	}
	sum := sha256.Sum256([]byte(key))
	return "slim-" + hex.EncodeToString(sum[:4])
}

// apply edits the OpenTofu source tree at dir. Each entry it removes must be
// found exactly once, in the form it has in the pinned release: on a
// version whose files read otherwise it fails naming the entry, rather than
// build something else than it says.
func (r recipe) apply(dir string) error {
	if err := editFile(filepath.Join(dir, backendsFile), r.dropBackends); err != nil {
		return err
	}
	return editFile(filepath.Join(dir, keyProvidersFile), r.dropKeyProviders)
}

func editFile(path string, edit func(string) (string, error)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("slim build: %w", err)
	}
	out, err := edit(string(b))
	if err != nil {
		return fmt.Errorf("slim build: %s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// dropBackends removes, for each backend, its line of the backends table
//
//	"gcs":        func(enc encryption.StateEncryption) backend.Backend { return backendGCS.New(enc) },
//
// and the import of the package it names.
func (r recipe) dropBackends(src string) (string, error) {
	for _, name := range r.Backends {
		entry := regexp.MustCompile(`(?m)^\s*"` + regexp.QuoteMeta(name) + `":\s*func\(enc encryption\.StateEncryption\) backend\.Backend \{ return (\w+)\.New\(enc\) \},\n`)
		m := entry.FindStringSubmatch(src)
		var err error
		if src, err = removeOnce(src, entry, "backend "+name+" in the backends table"); err != nil {
			return "", err
		}
		imp := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(m[1]) + ` "github\.com/opentofu/opentofu/internal/backend/remote-state/[\w-]+"\n`)
		if src, err = removeOnce(src, imp, "import of "+m[1]); err != nil {
			return "", err
		}
	}
	return src, nil
}

// dropKeyProviders removes, for each key provider, its import and its
// registration
//
//	if err := DefaultRegistry.RegisterKeyProvider(gcp_kms.New()); err != nil {
//		panic(err)
//	}
func (r recipe) dropKeyProviders(src string) (string, error) {
	for _, name := range r.KeyProviders {
		q := regexp.QuoteMeta(name)
		imp := regexp.MustCompile(`(?m)^\s*"github\.com/opentofu/opentofu/internal/encryption/keyprovider/` + q + `"\n`)
		reg := regexp.MustCompile(`(?m)^\s*if err := DefaultRegistry\.RegisterKeyProvider\(` + q + `\.New\(\)\); err != nil \{\n\s*panic\(err\)\n\s*\}\n`)
		var err error
		if src, err = removeOnce(src, imp, "import of key provider "+name); err != nil {
			return "", err
		}
		if src, err = removeOnce(src, reg, "registration of key provider "+name); err != nil {
			return "", err
		}
	}
	return src, nil
}

func removeOnce(src string, re *regexp.Regexp, what string) (string, error) {
	if n := len(re.FindAllStringIndex(src, -1)); n != 1 {
		return "", fmt.Errorf("%s: found %d times, want once", what, n)
	}
	return re.ReplaceAllString(src, ""), nil
}
