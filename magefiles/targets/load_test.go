package targets

import (
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
