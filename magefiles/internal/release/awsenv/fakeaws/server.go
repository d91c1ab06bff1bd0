// Package fakeaws is a stateful fake of the AWS APIs the release backend
// calls — ECS, ECR (with a real image registry behind its authorization
// token), SSM, CloudWatch Logs, Secrets Manager and STS — served over HTTP
// on 127.0.0.1 to the real aws-sdk-go-v2 clients (their BaseEndpoint), so
// the SDK's serialization, retries, waiters and pagination run for real.
//
// It models AWS's documented behaviour rather than canned answers: task
// states PROVISIONING → PENDING → RUNNING → STOPPED with exit codes; service
// deployments IN_PROGRESS → COMPLETED or FAILED with the deployment circuit
// breaker's rollback; task definition revisions; IMMUTABLE image tags
// (ImageTagAlreadyExistsException); ParameterAlreadyExists; pagination
// tokens; throttling (ThrottlingException, injected). Time is a Clock the
// test controls: every API call advances it by Options.Tick, so a poll loop
// sees tasks and deployments progress without any real waiting.
//
// It also serves the environment's public URL (CloudFront in front of the
// ALB): each request is answered from the revisions the routed services run,
// and a revision marked broken answers 503.
//
// State is kept per region (the region of each request's SigV4 scope): a
// client configured for another region sees an empty account, as on AWS.
package fakeaws

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Fake.
type Options struct {
	// Account is the account every identity belongs to [123456789012].
	Account string
	// Region is the region tests seed [us-east-1].
	Region string
	// Tick is how much fake time passes on every API call [5s].
	Tick time.Duration
	// PageSize caps every paginated answer, so pagination is exercised [2].
	PageSize int
	// Start is the clock's initial time [2026-01-01T00:00:00Z].
	Start time.Time
}

// Fake is the fake AWS. Its methods are safe for concurrent use.
type Fake struct {
	o     Options
	Clock *Clock

	mu       sync.Mutex
	regions  map[string]*region
	calls    []string
	throttle map[string]int
	// taskOutcome decides how a one-off task ends.
	taskOutcome func(TaskRun) Outcome
	// revision behaviours, by task definition ARN.
	broken, failing, stalling map[string]bool

	api, url, reg *http.Server
	apiURL        string
	urlURL        string
	regHost       string
	regPassword   string
	listeners     []net.Listener
	routes        map[string][]string
	routeCluster  string
}

// New starts a fake on three 127.0.0.1 listeners (the API, the environment's
// URL, the registry); Close stops it.
func New(o Options) (*Fake, error) {
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Tick == 0 {
		o.Tick = 5 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 2
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f := &Fake{
		o: o, Clock: &Clock{now: o.Start},
		regions:  map[string]*region{},
		throttle: map[string]int{},
		broken:   map[string]bool{}, failing: map[string]bool{}, stalling: map[string]bool{},
		regPassword: randomHex(16),
	}
	var err error
	if f.apiURL, err = f.serve(&f.api, http.HandlerFunc(f.serveAPI)); err != nil {
		return nil, err
	}
	if f.urlURL, err = f.serve(&f.url, http.HandlerFunc(f.serveURL)); err != nil {
		f.Close()
		return nil, err
	}
	var regURL string
	if regURL, err = f.serve(&f.reg, f.registryHandler()); err != nil {
		f.Close()
		return nil, err
	}
	f.regHost = strings.TrimPrefix(regURL, "http://")
	return f, nil
}

func (f *Fake) serve(s **http.Server, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fakeaws: listen: %w", err)
	}
	f.listeners = append(f.listeners, l)
	*s = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go (*s).Serve(l) //nolint:errcheck // ends with Close
	return "http://" + l.Addr().String(), nil
}

// Close stops the listeners.
func (f *Fake) Close() {
	for _, s := range []*http.Server{f.api, f.url, f.reg} {
		if s != nil {
			s.Close()
		}
	}
}

// Endpoint is the API's base URL, for every client's BaseEndpoint.
func (f *Fake) Endpoint() string { return f.apiURL }

// URL is the environment's public URL.
func (f *Fake) URL() string { return f.urlURL }

// RegistryHost is host:port of the registry ECR's token logs into.
func (f *Fake) RegistryHost() string { return f.regHost }

// Account is the fake's account ID.
func (f *Fake) Account() string { return f.o.Account }

// Region is the region tests seed.
func (f *Fake) Region() string { return f.o.Region }

// Calls returns every action served so far ("ecs:RunTask", …), in order,
// including throttled attempts.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Actions returns the distinct actions served so far, sorted.
func (f *Fake) Actions() []string {
	seen := map[string]bool{}
	for _, c := range f.Calls() {
		seen[c] = true
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// ResetCalls forgets the calls recorded so far.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

// Throttle makes the next n calls of action ("ecs:DescribeServices") fail
// with ThrottlingException, as AWS does when a request rate is exceeded.
func (f *Fake) Throttle(action string, n int) {
	f.mu.Lock()
	f.throttle[action] += n
	f.mu.Unlock()
}

func (f *Fake) record(action string) (throttled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action)
	if f.throttle[action] > 0 {
		f.throttle[action]--
		return true
	}
	return false
}

// Clock is the fake's time, advanced by the test (Advance) and by every API
// call (Options.Tick).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the fake's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// region is one region's state of the account.
type region struct {
	name    string
	ecs     *ecsState
	ecr     *ecrState
	ssm     *ssmState
	logs    *logsState
	secrets *secretsState
}

func (f *Fake) regionState(name string) *region {
	r := f.regions[name]
	if r == nil {
		r = &region{name: name, ecs: newECS(), ecr: newECR(), ssm: newSSM(), logs: newLogs(), secrets: newSecrets()}
		f.regions[name] = r
	}
	return r
}

// apiError is an AWS error answer.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func clientErr(code, format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, a...)}
}

// The awsJson1_1 services, by the X-Amz-Target prefix, with their IAM prefix.
var targets = map[string]string{
	"AmazonEC2ContainerServiceV20141113":   "ecs",
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"AmazonSSM":                            "ssm",
	"Logs_20140328":                        "logs",
	"secretsmanager":                       "secretsmanager",
}

var scopeRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/`)

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := randomHex(16)
	w.Header().Set("X-Amzn-RequestId", reqID)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The SigV4 scope names the region the client is configured for.
	m := scopeRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		writeJSONError(w, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"})
		return
	}
	regionName := m[1]
	f.Clock.Advance(f.o.Tick)

	target := r.Header.Get("X-Amz-Target")
	if target == "" { // awsQuery: STS
		f.serveSTS(w, r, body, reqID)
		return
	}
	prefix, op, _ := strings.Cut(target, ".")
	svc, ok := targets[prefix]
	if !ok {
		writeJSONError(w, clientErr("UnknownOperationException", "unknown target %s", target))
		return
	}
	action := svc + ":" + op
	if f.record(action) {
		writeJSONError(w, clientErr("ThrottlingException", "Rate exceeded"))
		return
	}
	f.mu.Lock()
	rg := f.regionState(regionName)
	var out any
	switch svc {
	case "ecs":
		out, err = f.ecsOp(rg, op, body)
	case "ecr":
		out, err = f.ecrOp(rg, op, body)
	case "ssm":
		out, err = f.ssmOp(rg, op, body)
	case "logs":
		out, err = f.logsOp(rg, op, body)
	case "secretsmanager":
		out, err = f.secretsOp(rg, op, body)
	}
	f.mu.Unlock()
	if err != nil {
		writeJSONError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		return
	}
}

func writeJSONError(w http.ResponseWriter, err error) {
	ae, ok := err.(*apiError)
	if !ok {
		ae = &apiError{status: http.StatusInternalServerError, code: "InternalFailure", msg: err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.code)
	w.WriteHeader(ae.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.code, "message": ae.msg})
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return clientErr("SerializationException", "%v", err)
	}
	return nil
}

// epoch is how awsJson encodes a timestamp.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// page cuts items to the fake's page size; the token is an opaque offset.
func page[T any](f *Fake, items []T, token string, max int) ([]T, string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", clientErr("InvalidParameterException", "invalid nextToken")
		}
		if start, err = strconv.Atoi(strings.TrimPrefix(string(b), "o:")); err != nil || start > len(items) {
			return nil, "", clientErr("InvalidParameterException", "invalid nextToken")
		}
	}
	n := f.o.PageSize
	if max > 0 && max < n {
		n = max
	}
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Fake) arn(rg *region, svc, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, rg.name, f.o.Account, resource)
}
