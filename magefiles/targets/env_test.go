package targets

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEnvPortAndReplicas(t *testing.T) {
	t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", "")
	if p, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err != nil || p != 55432 {
		t.Errorf("unset: %d, %v; want 55432", p, err)
	}
	t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", "15432")
	if p, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err != nil || p != 15432 {
		t.Errorf("set: %d, %v; want 15432", p, err)
	}
	for v, want := range map[string]string{
		"abc":   `EQUIPTRACK_LOCAL_PG_PORT="abc": want a port number from 1 to 65535`,
		"70000": `EQUIPTRACK_LOCAL_PG_PORT="70000": want a port number from 1 to 65535`,
		"0":     `EQUIPTRACK_LOCAL_PG_PORT="0": want a port number from 1 to 65535`,
	} {
		t.Setenv("EQUIPTRACK_LOCAL_PG_PORT", v)
		if _, err := envPort("EQUIPTRACK_LOCAL_PG_PORT", 55432); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", v, err, want)
		}
	}
	t.Setenv("EQUIPTRACK_LOCAL_REPLICAS", "11")
	if _, err := envInt("EQUIPTRACK_LOCAL_REPLICAS", 1, 1, 10, "a number of replicas"); err == nil ||
		err.Error() != `EQUIPTRACK_LOCAL_REPLICAS="11": want a number of replicas from 1 to 10` {
		t.Errorf("replicas 11: %v", err)
	}
}

func TestLocalAdminPasswordFromTheEnvironmentMustBeTheStoredOne(t *testing.T) {
	if err := checkLocalAdminPassword("", "stored", "/c/admin-password"); err != nil {
		t.Errorf("unset: %v", err)
	}
	if err := checkLocalAdminPassword("stored", "stored", "/c/admin-password"); err != nil {
		t.Errorf("same: %v", err)
	}
	err := checkLocalAdminPassword("other", "stored", "/c/admin-password")
	want := "SEED_ADMIN_PASSWORD is set and differs from the local admin password stored in /c/admin-password: unset it (locally the stored password is used) or write it into that file"
	if err == nil || err.Error() != want {
		t.Errorf("differs: %v", err)
	}
}

// The test target provisions in this order: Docker before the data image,
// OpenTofu before the replica it loads, then the Go-built scanners and
// linters, then Chromium.
func TestToolStepsOrder(t *testing.T) {
	var got []string
	for _, s := range toolSteps() {
		got = append(got, s.name)
	}
	want := []string{"docker engine", "data image", "opentofu", "provider schema and replica", "trivy", "tflint", "staticcheck", "actionlint", "chromium"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps = %q\nwant    %q", got, want)
	}
}

func TestProvisionStopsAtTheFirstMissingTool(t *testing.T) {
	var ran []string
	step := func(name string, err error) toolStep {
		return toolStep{name: name, ensure: func(context.Context) error { ran = append(ran, name); return err }}
	}
	boom := errors.New("no npm")
	err := provision(context.Background(), []toolStep{step("a", nil), step("b", boom), step("c", nil)})
	if !errors.Is(err, boom) || err.Error() != "tools: b: no npm" {
		t.Errorf("err = %v", err)
	}
	if strings.Join(ran, ",") != "a,b" {
		t.Errorf("ran %q, want a,b", ran)
	}
}

// A step marked alongside runs beside the next ones: they do not wait for
// it, provision does; its failure is reported, and stops the steps not yet
// started.
func TestProvisionRunsDownloadsAlongsideTheBuilds(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var events []string
	log := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	slow := toolStep{name: "data image", alongside: true, ensure: func(context.Context) error {
		<-release // held until the build beside it has run
		log("data image done")
		return nil
	}}
	build := toolStep{name: "opentofu", ensure: func(context.Context) error {
		log("opentofu done")
		close(release)
		return nil
	}}
	if err := provision(context.Background(), []toolStep{slow, build}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ","); got != "opentofu done,data image done" {
		t.Errorf("events %q: the build must not wait for the download beside it", got)
	}

	boom := errors.New("debootstrap: exit status 1")
	started := make(chan struct{})
	failing := toolStep{name: "data image", alongside: true, ensure: func(context.Context) error {
		<-started // fails while the build beside it runs
		return boom
	}}
	var ran []string
	after := func(name string) toolStep {
		return toolStep{name: name, ensure: func(context.Context) error {
			if name == "opentofu" {
				close(started)
				time.Sleep(500 * time.Millisecond) // the failure beside it lands meanwhile
			}
			ran = append(ran, name)
			return nil
		}}
	}
	err := provision(context.Background(), []toolStep{failing, after("opentofu"), after("trivy")})
	if !errors.Is(err, boom) || err.Error() != "tools: data image: debootstrap: exit status 1" {
		t.Errorf("err = %v", err)
	}
	if strings.Join(ran, ",") != "opentofu" {
		t.Errorf("ran %q after the failure, want only the step already running (opentofu)", ran)
	}
}
