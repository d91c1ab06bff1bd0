package targets

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadFlagsAreCheckedBeforeAnyWork(t *testing.T) {
	i := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	f, err := parseLoadFlags(nil, nil, nil)
	if err != nil || f.users != 20 || f.duration != time.Minute || f.json {
		t.Fatalf("defaults = %+v, %v; want 20 users, 1m, text", f, err)
	}
	f, err = parseLoadFlags(i(10), s("90s"), s("json"))
	if err != nil || f.users != 10 || f.duration != 90*time.Second || !f.json {
		t.Fatalf("flags = %+v, %v", f, err)
	}
	for _, tc := range []struct {
		users            *int
		duration, format *string
		want             string
	}{
		{i(-1), nil, nil, "load: -users=-1: want 1-200"},
		{i(1000), nil, nil, "load: -users=1000: want 1-200"},
		{nil, s("ten"), nil, "load: -duration=ten: want a Go duration such as 60s or 5m"},
		{nil, s("2h"), nil, "load: -duration=2h0m0s: want 1s-30m0s"},
		{nil, nil, s("xml"), "load: -format=xml: want text or json"},
	} {
		if _, err := parseLoadFlags(tc.users, tc.duration, tc.format); err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// staging:load runs against the URL in staging's facts — here the fake's
// public URL, routed to the services Terraform left running — over the
// manifest's mix (the fixture's has none: the smoke request and the page).
func TestStagingLoadRunsAgainstTheURLInTheFacts(t *testing.T) {
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0")
	out := captureStdout(t, func() error {
		return Staging{}.Load(context.Background(), ptr(2), ptr("1s"), ptr("json"))
	})
	var rep struct {
		BaseURL   string `json:"base_url"`
		Users     int    `json:"users"`
		Endpoints []struct {
			Name     string `json:"name"`
			Path     string `json:"path"`
			Requests int    `json:"requests"`
			Errors   int    `json:"errors"`
		} `json:"endpoints"`
		Pass bool `json:"pass"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("-format=json: %v\n%s", err, out)
	}
	if rep.BaseURL != w.Fake.URL() || rep.Users != 2 || !rep.Pass {
		t.Errorf("report %+v; want %s, 2 users, pass", rep, w.Fake.URL())
	}
	var got []string
	for _, e := range rep.Endpoints {
		got = append(got, e.Name+" "+e.Path)
		if e.Requests == 0 || e.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors; want some, none failed", e.Name, e.Requests, e.Errors)
		}
	}
	if want := "smoke /api/inventory/items?limit=5,page /"; strings.Join(got, ",") != want {
		t.Errorf("endpoints %q, want %q", got, want)
	}
}

// The URL comes from the facts only, and a facts URL that is not an
// environment's root URL is refused before any request; bad flags are
// refused before AWS is asked anything.
func TestAWSLoadRefusesAnotherTargetAndBadFlags(t *testing.T) {
	ctx := context.Background()
	w := awsWorld(t, "dev", "us-west-2", false, "0a1b2c3")
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(other.Close)

	w.Fake.ResetCalls()
	for _, c := range []struct {
		users            *int
		duration, format *string
		want             string
	}{
		{ptr(201), nil, nil, "load: -users=201: want 1-200"},
		{nil, ptr("0.5s"), nil, "load: -duration=500ms: want 1s-30m0s"},
		{nil, nil, ptr("csv"), "load: -format=csv: want text or json"},
	} {
		if err := (Dev{}).Load(ctx, c.users, c.duration, c.format); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	if calls := w.Fake.Calls(); len(calls) != 0 {
		t.Errorf("AWS was called before the flags were checked: %v", calls)
	}

	facts, _ := w.Fake.Parameter("/equiptrack/dev/release/facts")
	var f map[string]any
	if err := json.Unmarshal([]byte(facts), &f); err != nil {
		t.Fatal(err)
	}
	f["url"] = other.URL + "/somewhere-else"
	b, _ := json.Marshal(f)
	w.Fake.PutParameter("/equiptrack/dev/release/facts", string(b))
	err := Dev{}.Load(ctx, ptr(2), ptr("1s"), nil)
	want := `load: base URL "` + other.URL + `/somewhere-else": want the environment's root URL, without path, query or credentials`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the refused URL", n)
	}
}
