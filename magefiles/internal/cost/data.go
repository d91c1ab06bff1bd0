package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

//go:embed assumptions.json
var assumptionsJSON []byte

// GlobalRegion holds the prices of global services (CloudFront, Route 53).
const GlobalRegion = "global"

// Price is one list price with where and when it was taken.
type Price struct {
	USD    float64 `json:"usd"`
	Per    string  `json:"per"`
	Date   string  `json:"date"`
	Source string  `json:"source"`
	Note   string  `json:"note,omitempty"`
}

// Prices is the price file: per region, per price key.
type Prices struct {
	HoursPerMonth float64                     `json:"hours_per_month"`
	Currency      string                      `json:"currency"`
	Regions       map[string]map[string]Price `json:"regions"`
}

// DefaultPrices returns the embedded price file (magefiles/internal/cost/prices.json).
func DefaultPrices() (*Prices, error) { return ParsePrices(pricesJSON) }

// ParsePrices reads and checks a price file: every price needs a positive
// amount, a date and a source.
func ParsePrices(b []byte) (*Prices, error) {
	var p Prices
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	if p.HoursPerMonth <= 0 {
		return nil, fmt.Errorf("prices: hours_per_month must be positive")
	}
	if len(p.Regions) == 0 {
		return nil, fmt.Errorf("prices: no regions")
	}
	for region, m := range p.Regions {
		for key, pr := range m {
			switch {
			case pr.USD < 0 || math.IsNaN(pr.USD):
				return nil, fmt.Errorf("prices: %s %s: negative amount", region, key)
			case pr.Date == "":
				return nil, fmt.Errorf("prices: %s %s: no date", region, key)
			case pr.Source == "":
				return nil, fmt.Errorf("prices: %s %s: no source", region, key)
			}
		}
	}
	return &p, nil
}

// MissingPriceError is a price the file does not have for a region. The
// estimate fails on it: a guessed price would make the budget check lie.
type MissingPriceError struct {
	Resource, Region, Key string
}

func (e *MissingPriceError) Error() string {
	return fmt.Sprintf("no price %q for %s in region %s (add it to magefiles/internal/cost/prices.json with its date and source)", e.Key, e.Resource, e.Region)
}

// Get returns the price key in region, for resource (named in the error).
// There is no fallback to another region.
func (p *Prices) Get(resource, region, key string) (float64, error) {
	pr, ok := p.Regions[region][key]
	if !ok {
		return 0, &MissingPriceError{Resource: resource, Region: region, Key: key}
	}
	return pr.USD, nil
}

// Assumption is a usage figure the plan cannot know, with the floor below
// which it is refused.
type Assumption struct {
	Value float64 `json:"value"`
	Floor float64 `json:"floor"`
	Unit  string  `json:"unit"`
	Why   string  `json:"why"`
}

// Assumptions are the named usage figures of assumptions.json.
type Assumptions map[string]Assumption

// The assumptions every estimate needs.
const (
	ALBLCUPerHour             = "alb_lcu_per_hour"
	NATGatewayGBPerMonth      = "nat_gateway_gb_per_month"
	VPCEndpointGBPerMonth     = "vpc_endpoint_gb_per_month"
	LogIngestGBPerGroupMonth  = "log_ingest_gb_per_log_group_month"
	LogNeverExpireMonths      = "log_never_expire_months"
	ECRGBPerRepository        = "ecr_gb_per_repository"
	CloudFrontGBOutPerMonth   = "cloudfront_gb_out_per_month"
	CloudFrontRequestsPerMon  = "cloudfront_requests_per_month"
	SecretsAPICallsPerSecret  = "secrets_api_calls_per_secret_month"
	ServerlessCacheMECPU      = "serverless_cache_million_ecpu_per_month"
	InsightsMetricsPerCluster = "container_insights_metrics_per_cluster"
	InsightsMetricsPerService = "container_insights_metrics_per_service"
	ScheduledHoursPerMonth    = "scheduled_hours_per_month"
)

var requiredAssumptions = []string{
	ALBLCUPerHour, NATGatewayGBPerMonth, VPCEndpointGBPerMonth, LogIngestGBPerGroupMonth,
	LogNeverExpireMonths, ECRGBPerRepository, CloudFrontGBOutPerMonth, CloudFrontRequestsPerMon,
	SecretsAPICallsPerSecret, ServerlessCacheMECPU, InsightsMetricsPerCluster,
	InsightsMetricsPerService, ScheduledHoursPerMonth,
}

// DefaultAssumptions returns the embedded assumptions file.
func DefaultAssumptions() (Assumptions, error) { return ParseAssumptions(assumptionsJSON) }

// ParseAssumptions reads an assumptions file and refuses a value below its
// floor, a floor that is not positive, an unknown name or a missing one.
func ParseAssumptions(b []byte) (Assumptions, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("assumptions: %w", err)
	}
	known := map[string]bool{}
	for _, k := range requiredAssumptions {
		known[k] = true
	}
	a := Assumptions{}
	for name, msg := range raw {
		if strings.HasPrefix(name, "_") {
			continue // comments
		}
		if !known[name] {
			return nil, fmt.Errorf("assumptions: unknown assumption %q", name)
		}
		var v Assumption
		if err := json.Unmarshal(msg, &v); err != nil {
			return nil, fmt.Errorf("assumptions: %s: %w", name, err)
		}
		if v.Floor <= 0 {
			return nil, fmt.Errorf("assumptions: %s: floor must be positive (a zero floor would let the budget be met by assuming no usage)", name)
		}
		if v.Value < v.Floor {
			return nil, fmt.Errorf("assumptions: %s = %g is below its floor %g (%s): refused", name, v.Value, v.Floor, v.Unit)
		}
		a[name] = v
	}
	var missing []string
	for _, k := range requiredAssumptions {
		if _, ok := a[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("assumptions: missing %s", strings.Join(missing, ", "))
	}
	return a, nil
}

func (a Assumptions) v(name string) float64 { return a[name].Value }
