package awsenv

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
)

var services = awsfixture.Services

// world is a fake staging environment as Terraform leaves it
// (awsfixture): six services steady on revision 1 (v1.0.0), IMMUTABLE
// repositories holding v1.0.0 and v1.1.0, the facts parameter.
type world struct {
	fake    *fakeaws.Fake
	facts   Facts
	digests map[string]string // service:version → digest
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fw := awsfixture.New(t, awsfixture.Options{Env: "staging", Region: "us-east-1", Immutable: true, Versions: []string{"v1.0.0", "v1.1.0"}})
	w := &world{fake: fw.Fake, digests: fw.Digests}
	js, _ := json.Marshal(fw.Facts)
	if err := json.Unmarshal(js, &w.facts); err != nil {
		t.Fatal(err)
	}
	return w
}

// options point the backend at the fake with millisecond polls and backoff.
func (w *world) options() Options {
	return Options{
		Env: "staging", Region: "us-east-1",
		Config:   aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")},
		Endpoint: w.fake.Endpoint(), Poll: time.Millisecond, MaxPoll: 5 * time.Millisecond, RetryBackoff: time.Millisecond,
		Now: w.fake.Clock.Now,
	}
}

func (w *world) open(t *testing.T) *Env {
	t.Helper()
	e, err := Open(context.Background(), w.options())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}
