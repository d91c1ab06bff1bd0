package envtest

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// terraformDirs lists the modules and roots: every directory with a versions.tf.
func terraformDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, pattern := range []string{"modules/*", "envs/*", "bootstrap"} {
		ms, err := filepath.Glob(filepath.Join(terraformRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if fi, err := os.Stat(m); err == nil && fi.IsDir() {
				dirs = append(dirs, m)
			}
		}
	}
	sort.Strings(dirs)
	if len(dirs) < 14 {
		t.Fatalf("found %d Terraform directories under %s, want at least 14 (12 modules, 2 roots)", len(dirs), terraformRoot)
	}
	return dirs
}

func TestEveryModuleHasTheStandardFiles(t *testing.T) {
	for _, d := range terraformDirs(t) {
		// Roots are thin (roots_test.go): their values are literals in main.tf, no variables.tf.
		want := []string{"main.tf", "outputs.tf", "versions.tf"}
		if !strings.Contains(filepath.ToSlash(d), "/envs/") {
			want = append(want, "variables.tf")
		}
		if strings.Contains(filepath.ToSlash(d), "/modules/") {
			want = append(want, "README.md")
		}
		for _, f := range want {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				t.Errorf("%s: missing %s", d, f)
			}
		}
		tests, _ := filepath.Glob(filepath.Join(d, "tests", "*.tftest.hcl"))
		if len(tests) == 0 {
			t.Errorf("%s: no tests/*.tftest.hcl", d)
		}
	}
}

var (
	variableRe   = regexp.MustCompile(`(?m)^variable "([^"]+)" \{`)
	validationRe = regexp.MustCompile(`(?m)^\s+validation \{`)
	expectRe     = regexp.MustCompile(`expect_failures\s*=\s*\[([^\]]*)\]`)
)

// validations counts the validation blocks of each variable of a directory.
func validations(t *testing.T, dir string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "variables.tf"))
	if errors.Is(err, os.ErrNotExist) && strings.Contains(filepath.ToSlash(dir), "/envs/") {
		return nil // a thin root declares no variables
	}
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	out := map[string]int{}
	locs := variableRe.FindAllStringSubmatchIndex(src, -1)
	for i, l := range locs {
		end := len(src)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if n := len(validationRe.FindAllString(src[l[1]:end], -1)); n > 0 {
			out[src[l[2]:l[3]]] = n
		}
	}
	return out
}

// TestEveryValidationHasAnExpectFailuresRun checks the rule that each validation block is proven
// by a bad value of its own: a variable with N validation blocks is named in at least N
// expect_failures lists (a run may list several variables, each with one bad value; see
// terraform/README.md).
func TestEveryValidationHasAnExpectFailuresRun(t *testing.T) {
	total := 0
	for _, d := range terraformDirs(t) {
		want := validations(t, d)
		got := map[string]int{}
		tests, _ := filepath.Glob(filepath.Join(d, "tests", "*.tftest.hcl"))
		for _, f := range tests {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range expectRe.FindAllStringSubmatch(string(b), -1) {
				for _, ref := range strings.Split(m[1], ",") {
					if name, ok := strings.CutPrefix(strings.TrimSpace(ref), "var."); ok {
						got[name]++
					}
				}
			}
		}
		for v, n := range want {
			total += n
			if got[v] < n {
				t.Errorf("%s: variable %q has %d validation block(s) but %d expect_failures list(s) name it", d, v, n, got[v])
			}
		}
	}
	if total < 30 {
		t.Errorf("only %d validation blocks found: the parser or the tree is not what this test expects", total)
	}
}
