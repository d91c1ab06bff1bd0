package pipeline_test

import (
	"testing"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/magefiles/pipeline/pipelinetest"
)

// The in-memory fakes the pipeline's tests run on keep the contract every
// real backend keeps: otherwise those tests would prove nothing about a
// real release.
func TestFakesPassTheContract(t *testing.T) {
	b, version, image, expire := pipeline.FakeHarness()
	pipelinetest.Run(t, pipelinetest.Harness{
		Backend: b, Service: "gateway", Version: version, Image: image,
		OKCommand: []string{"true"}, FailCommand: []string{"false"},
		Expire: expire,
	})
}
