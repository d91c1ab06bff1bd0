package pipeline

import (
	"fmt"
	"testing"
	"time"
)

// FakeHarness is the in-memory fakes as the contract suite's backend (for
// contract_test.go, in package pipeline_test, which may import pipelinetest).
func FakeHarness() (b Backend, version func(*testing.T) string, image func(*testing.T, string, int) Image, expire func(*testing.T)) {
	w := newWorld()
	n := 0
	version = func(*testing.T) string { n++; return fmt.Sprintf("v0.0.%d", n) }
	image = func(t *testing.T, v string, variant int) Image {
		// Content is a function of (version, variant), as a reproducible build's.
		w.mu.Lock()
		defer w.mu.Unlock()
		w.built["gateway:"+v] = fmt.Sprintf("sha256:gateway-%s-variant%d", v, variant)
		return Image{Service: "gateway", Version: v, Ref: "local/gateway:" + v}
	}
	expire = func(*testing.T) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.now = w.now.Add(time.Hour)
	}
	b = Backend{Builder: fakeBuilder{w}, Registry: fakeRegistry{w}, Tasks: fakeTasks{w}, Deployer: fakeDeployer{w}, Prober: fakeProber{w: w}, Store: fakeStore{w}}
	return b, version, image, expire
}
