package manifest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeederContextHoldsTheBinaryAndTheDockerfile(t *testing.T) {
	var got []string
	dir, cleanup, err := SeederContext(context.Background(), func(_ context.Context, argv ...string) error {
		got = argv
		out := argv[len(argv)-2] // go build creates the directory of -o
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte("binary"), 0o755)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "go build -trimpath -ldflags=-s -w -o " + filepath.Join(dir, "bin", "seed") + " github.com/equiptrack/release-kit/seeddata/cmd/seed"
	if strings.Join(got, " ") != want {
		t.Errorf("go build argv = %q, want %q", strings.Join(got, " "), want)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil || !strings.Contains(string(df), "bin/seed") {
		t.Errorf("Dockerfile in the context: %v\n%s", err, df)
	}
	cleanup()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cleanup left %s: %v", dir, err)
	}

	boom := errors.New("compile error")
	if _, _, err := SeederContext(context.Background(), func(context.Context, ...string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("a failed build: %v", err)
	}
}
