package localenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"

	// The local registry (cmd/registry) is built from the module that runs
	// the targets — an application repository importing the kit, too. This
	// import keeps go-containerregistry in that module's import graph, so
	// `go mod tidy` there keeps the go.sum lines the build needs.
	_ "github.com/google/go-containerregistry/pkg/registry"
)

// The kit's own small programs, run FROM scratch.
const (
	RegistryPackage = manifest.KitModule + "/magefiles/internal/release/localenv/cmd/registry"
	EntryPackage    = manifest.KitModule + "/magefiles/internal/release/localenv/cmd/entry"
)

// DownTimeout bounds a whole local:down.
const DownTimeout = 3 * time.Minute

// InfraTimeout bounds the wait for the registry or the entry to answer.
const InfraTimeout = 30 * time.Second

// Start makes the whole environment available: the Docker engine, the
// PostgreSQL and Redis containers, the registry and the entry. Idempotent:
// what runs with the right configuration is reused. The options' Stores are
// filled in.
func Start(ctx context.Context, o Options) (*Env, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = DefaultName
	}
	st, err := stores.EnsureLocalStoresWith(ctx, stores.LocalOptions{Name: name, PostgresPort: o.PostgresPort, RedisPort: o.RedisPort}, logf)
	if err != nil {
		return nil, err
	}
	o.Stores = st
	e, err := New(o)
	if err != nil {
		return nil, err
	}
	if err := e.EnsureInfra(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Attach returns the environment without starting anything, for commands
// that only read (status) or tear down. The stores' network name is the
// environment's name.
func Attach(o Options) (*Env, error) {
	if o.Stores.Network == "" {
		o.Stores.Network = o.Name
		if o.Name == "" {
			o.Stores.Network = DefaultName
		}
	}
	return New(o)
}

// EnsureInfra starts (or reuses) the registry and the entry.
func (e *Env) EnsureInfra(ctx context.Context) error {
	// Building the two small programs takes seconds warm, a minute or two
	// with a cold Go build cache.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	start := time.Now()
	regImg, err := infraImage(ctx, "registry", RegistryPackage)
	if err != nil {
		return err
	}
	entryImg, err := infraImage(ctx, "entry", EntryPackage)
	if err != nil {
		return err
	}
	if err := e.ensureContainer(ctx, "registry", regImg, []string{
		"-p", fmt.Sprintf("127.0.0.1:%d:5000", e.o.RegistryPort),
		"-v", e.o.Name + "-registry-data:/data",
	}, nil, fmt.Sprintf("http://%s/v2/", e.RegistryHost())); err != nil {
		return err
	}
	if err := e.ensureContainer(ctx, "entry", entryImg, []string{
		"--network", e.network(),
		"-p", fmt.Sprintf("127.0.0.1:%d:8080", e.o.EntryPort),
	}, nil, e.URL()+"/-/entry"); err != nil {
		return err
	}
	e.logf("local infra: registry %s, entry %s (%s)", e.RegistryHost(), e.URL(), since(start))
	return nil
}

// ensureContainer keeps one long-lived container of a role running with the
// given image and arguments (their hash is a label: a change recreates it).
func (e *Env) ensureContainer(ctx context.Context, role, image string, args, cmd []string, readyURL string) error {
	name := e.containerName(role)
	h := sha256.Sum256([]byte(strings.Join(append(append([]string{image}, args...), cmd...), "\x00")))
	config := hex.EncodeToString(h[:8])
	st, err := cli.docker(ctx, "inspect", "--format", `{{.State.Running}} {{index .Config.Labels "`+LabelConfig+`"}}`, name)
	switch {
	case err == nil && st == "true "+config:
		// running as configured
	case err == nil && strings.HasSuffix(st, " "+config):
		if _, err := cli.docker(ctx, "start", name); err != nil {
			return fmt.Errorf("starting %s: %w", name, err)
		}
	default:
		if err == nil {
			if _, err := cli.docker(ctx, "rm", "-f", name); err != nil {
				return fmt.Errorf("replacing %s: %w", name, err)
			}
		}
		run := []string{"run", "-d", "--name", name, "--restart", "unless-stopped"}
		run = append(run, labelArgs(map[string]string{LabelEnv: e.o.Name, LabelRole: role, LabelConfig: config})...)
		run = append(run, args...)
		run = append(run, image)
		run = append(run, cmd...)
		if _, err := cli.docker(ctx, run...); err != nil {
			return fmt.Errorf("starting %s: %w", name, err)
		}
	}
	return waitHTTP(ctx, name, readyURL)
}

func waitHTTP(ctx context.Context, name, url string) error {
	ctx, cancel := context.WithTimeout(ctx, InfraTimeout)
	defer cancel()
	last := ""
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s within %s: %s (docker logs %s)", name, url, InfraTimeout, last, name)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// infraImage builds one of the kit's programs as a static binary and wraps
// it in a FROM scratch image tagged by the binary's hash, so an unchanged
// program is not rebuilt and a changed one gets a new tag.
func infraImage(ctx context.Context, name, pkg string) (string, error) {
	tmp, err := os.MkdirTemp("", "equiptrack-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, name)
	e := &Env{o: Options{Logf: func(string, ...any) {}}}
	if err := e.runLogged(ctx, "", childEnv(map[string]string{"CGO_ENABLED": "0"}),
		[]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg}); err != nil {
		return "", fmt.Errorf("building the local %s: %w", name, err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	ref := "equiptrack-kit/" + name + ":" + hex.EncodeToString(sum[:6])
	if _, err := cli.docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref); err == nil {
		return ref, nil
	}
	df := fmt.Sprintf("FROM scratch\nCOPY %s /%s\nENTRYPOINT [\"/%s\"]\n", name, name, name)
	if err := os.WriteFile(filepath.Join(tmp, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	if _, err := cli.docker(ctx, "build", "-q", "-t", ref, tmp); err != nil {
		return "", fmt.Errorf("building the local %s image: %w", name, err)
	}
	return ref, nil
}

// Down removes the environment's containers (services, tasks, entry,
// registry) and its stores. With keepData, PostgreSQL's volume, the
// registry's images, the release record and the passwords stay, so the next
// local:up comes back as it was; without it everything goes, including the
// images built for this environment's registry.
func Down(ctx context.Context, name string, registryPort int, keepData bool, logf func(string, ...any)) error {
	if name == "" {
		name = DefaultName
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := stores.CheckName(name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, DownTimeout)
	defer cancel()
	// Down holds the release lease like a release: it refuses while one
	// runs, instead of pulling the registry from under it.
	dir, err := stores.StateDir(name)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	held, err := (&Env{stateDir: dir}).Lock(ctx, fmt.Sprintf("local:down, pid %d on %s", os.Getpid(), host), DownTimeout)
	if err != nil {
		return fmt.Errorf("local down of %s refused: %w", name, err)
	}
	defer func() { _ = held.Unlock(context.WithoutCancel(ctx)) }()
	var errs []error
	ids, err := cli.docker(ctx, "ps", "-a", "-q", "--filter", "label="+LabelEnv+"="+name)
	if err != nil {
		return err
	}
	if ids != "" {
		if _, err := cli.docker(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
			errs = append(errs, err)
		}
		logf("local down: removed %d containers of %s", len(strings.Fields(ids)), name)
	}
	// The engine may release a removed container's network endpoint a
	// moment after `docker rm` returns: removing the network is retried. An
	// endpoint the engine never releases (a known Docker bug: the network
	// lists no container yet "has active endpoints") is only a warning: the
	// next local:up reuses the network, and a restart of dockerd clears it.
	for attempt := 1; ; attempt++ {
		err := stores.RemoveLocalStoresWith(ctx, stores.LocalOptions{Name: name}, keepData)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "active endpoints") {
			errs = append(errs, err)
			break
		}
		if attempt == 5 || ctx.Err() != nil {
			logf("local down: warning: the engine still holds an endpoint on network %s; it stays (harmless, reused by the next local:up)", name)
			break
		}
		time.Sleep(time.Second)
	}
	if !keepData {
		if _, err := cli.docker(ctx, "volume", "rm", name+"-registry-data"); err != nil && !strings.Contains(err.Error(), "No such volume") {
			errs = append(errs, err)
		}
		if registryPort > 0 {
			// By ID: an image whose tag moved on is listed as <none>.
			ids, err := cli.docker(ctx, "images", "-q", "--filter", "reference=127.0.0.1:"+strconv.Itoa(registryPort)+"/*/*")
			if err == nil && ids != "" {
				seen := map[string]bool{}
				var rm []string
				for _, id := range strings.Fields(ids) {
					if !seen[id] {
						seen[id] = true
						rm = append(rm, id)
					}
				}
				if _, err := cli.docker(ctx, append([]string{"rmi", "-f"}, rm...)...); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if dir, err := stores.StateDir(name); err == nil {
			for _, f := range []string{"release.json", "admin-password"} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			if name != DefaultName {
				_ = os.RemoveAll(dir)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("local down: %w", err)
	}
	return nil
}
