package cost

import (
	"fmt"
	"math"
	"strings"
)

// Strategy is one capacity-provider strategy item of a service.
type Strategy struct {
	Provider string  // FARGATE or FARGATE_SPOT
	Base     float64 // tasks placed on this provider first
	Weight   float64 // share of the tasks beyond the bases
}

// Split places n tasks the way ECS does: each provider's base first (in
// order), then the rest in proportion to the weights. The result maps a
// provider to its (possibly fractional, when weights do not divide the
// rest evenly — an expected value) number of tasks.
func Split(n float64, strategy []Strategy) (map[string]float64, error) {
	out := map[string]float64{}
	if n <= 0 {
		return out, nil
	}
	if len(strategy) == 0 {
		return nil, fmt.Errorf("empty capacity-provider strategy")
	}
	rest := n
	var weights float64
	for _, s := range strategy {
		b := math.Min(s.Base, rest)
		if b > 0 {
			out[s.Provider] += b
			rest -= b
		}
		weights += s.Weight
	}
	if rest > 0 {
		if weights <= 0 {
			return nil, fmt.Errorf("capacity-provider strategy places %g task(s) beyond its bases but every weight is 0", rest)
		}
		for _, s := range strategy {
			if s.Weight > 0 {
				out[s.Provider] += rest * s.Weight / weights
			}
		}
	}
	return out, nil
}

// Task is a Fargate task size and platform.
type Task struct {
	CPUUnits  float64 // 256 = 0.25 vCPU
	MemoryMiB float64
	Arch      string // X86_64 or ARM64
	OS        string // LINUX
}

func (t Task) vCPU() float64 { return t.CPUUnits / 1024 }
func (t Task) gb() float64   { return t.MemoryMiB / 1024 }

// fargateKeys names the vCPU-hour and GB-hour prices of a provider and
// platform.
func fargateKeys(provider string, t Task) (string, string) {
	prefix := "fargate"
	if provider == "FARGATE_SPOT" {
		prefix = "fargate_spot"
	}
	os := strings.ToLower(t.OS)
	if os == "" {
		os = "linux"
	}
	arch := strings.ToLower(t.Arch)
	if arch == "" {
		arch = "x86_64"
	}
	base := prefix + "." + os + "." + arch
	return base + ".vcpu_hour", base + ".gb_hour"
}

// TaskMonthly is the price of `tasks` tasks of t on provider for hours in
// region: tasks × hours × (vCPU × vCPU-hour price + GB × GB-hour price).
func TaskMonthly(p *Prices, resource, region, provider string, t Task, tasks, hours float64) (float64, error) {
	ck, mk := fargateKeys(provider, t)
	cpu, err := p.Get(resource, region, ck)
	if err != nil {
		if provider == "FARGATE_SPOT" && strings.EqualFold(t.Arch, "ARM64") {
			return 0, fmt.Errorf("%w (Fargate Spot runs X86_64 tasks only)", err)
		}
		return 0, err
	}
	mem, err := p.Get(resource, region, mk)
	if err != nil {
		return 0, err
	}
	return tasks * hours * (t.vCPU()*cpu + t.gb()*mem), nil
}
