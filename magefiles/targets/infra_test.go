package targets

import (
	"context"
	"testing"
	"time"
)

// Bad arguments are refused in one line, before any toolchain work (no
// OpenTofu build, no schema, no scratch copy: the test runs in well under
// a second).
func TestInfraPlanRejectsBadArguments(t *testing.T) {
	start := time.Now()
	err := Infra{}.Plan(context.Background(), "Bad Name", nil)
	if err == nil || err.Error() != `plan: environment "Bad Name": want a name like dev or staging` {
		t.Errorf("bad name: %v", err)
	}
	// The test runs in magefiles/targets, where there is no terraform/ tree.
	err = Infra{}.Plan(context.Background(), "prod", nil)
	if err == nil || err.Error() != `plan: no environment "prod" under terraform/envs (have: )` {
		t.Errorf("unknown environment: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %s: work started before the arguments were checked", d)
	}
}
