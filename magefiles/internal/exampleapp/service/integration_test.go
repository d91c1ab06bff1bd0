package service

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"pgregory.net/rapid"

	"github.com/equiptrack/release-kit/magefiles/containertest"
	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/store"
	"github.com/equiptrack/release-kit/seeddata"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// The shipped dataset, as seeddata/README.md fixes it — literals,
// not read back from the data files.
const (
	wantItems      = 70
	wantTypes      = 7
	wantChildren   = 380
	wantMovements  = 155
	wantLocations  = 8
	wantRoles      = 6
	wantRolePerms  = 37
	firstAssetTag  = "ET-CL1788-001" // by asset tag: CL1788 < ME1688 < … < STW
	lastAssetTag   = "ET-STW-010"
	seedTestPasswd = "example-test-password-not-a-secret"
)

var wantTypeCodes = []string{"CL1788", "ME1688", "ME1788", "RISE", "RS1688", "RS1788", "STW"}

// seededStores makes a fresh database, migrates it with the services'
// migration, seeds it with the seeder, and returns the database and Redis URLs.
func seededStores(t *testing.T) (dbURL, redisURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbURL = containertest.PG(t).NewDatabase(ctx, t)
	redisURL = containertest.SharedRedis(t).NewDB(t)
	if _, err := schema.ApplyURL(ctx, dbURL); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := seeddata.Run(ctx, seeddata.Options{DatabaseURL: dbURL, RedisURL: redisURL, AdminPassword: seedTestPasswd}, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return dbURL, redisURL
}

// liveApp is an App of the given role over real PostgreSQL and Redis.
func liveApp(t *testing.T, service, dbURL, redisURL string) (*App, *syncBuffer) {
	t.Helper()
	pcfg, err := PoolConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ropts, err := RedisOptions(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropts)
	t.Cleanup(func() { rdb.Close() })
	logs := &syncBuffer{}
	return New(testConfig(service), slog.New(slog.NewJSONHandler(logs, nil)), pool, rdb, Options{}), logs
}

// closedURL returns a URL of the scheme on a loopback port nothing listens on.
func closedURL(t *testing.T, scheme, rest string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return scheme + "://" + addr + rest
}

// blackholeURL returns a URL of a listener that accepts and never answers:
// a database that hangs rather than refuses.
func blackholeURL(t *testing.T, scheme, rest string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return scheme + "://" + ln.Addr().String() + rest
}

// The read endpoints over the seeded dataset, each against literal counts.
func TestSeededAPI(t *testing.T) {
	dbURL, redisURL := seededStores(t)
	apps := map[string]http.Handler{}
	for _, svc := range []string{"inventory", "location", "user", "reporting"} {
		a, _ := liveApp(t, svc, dbURL, redisURL)
		apps[svc] = a.Handler()
	}
	inv, loc := apps["inventory"], apps["location"]

	allItems := func(t *testing.T) []store.Item {
		code, _, body := get(t, inv, "/items?limit=200")
		page := decode[ItemPage](t, body)
		if code != 200 || page.Total != wantItems || len(page.Items) != wantItems {
			t.Fatalf("all items: %d total %d len %d", code, page.Total, len(page.Items))
		}
		return page.Items
	}

	t.Run("readiness", func(t *testing.T) {
		for svc, h := range apps {
			code, _, body := get(t, h, "/readyz")
			if hh := decode[Health](t, body); code != 200 || hh.Checks["postgres"] != "ok" || hh.Checks["redis"] != "ok" {
				t.Errorf("%s /readyz: %d %s", svc, code, body)
			}
		}
	})

	t.Run("items", func(t *testing.T) {
		code, _, body := get(t, inv, "/items")
		page := decode[ItemPage](t, body)
		if code != 200 || page.Total != wantItems || len(page.Items) != DefaultLimit || page.Limit != 50 || page.Offset != 0 {
			t.Errorf("default page: %d total %d len %d limit %d", code, page.Total, len(page.Items), page.Limit)
		}
		items := allItems(t)
		if items[0].AssetTag != firstAssetTag || items[wantItems-1].AssetTag != lastAssetTag {
			t.Errorf("first/last %s/%s", items[0].AssetTag, items[wantItems-1].AssetTag)
		}
		if !slices.IsSortedFunc(items, func(a, b store.Item) int { return strings.Compare(a.AssetTag, b.AssetTag) }) {
			t.Error("items not ordered by asset tag")
		}
		children := 0
		for _, it := range items {
			children += it.ChildCount
			if it.Status != "active" {
				t.Errorf("%s: status %q", it.AssetTag, it.Status)
			}
		}
		if children != wantChildren {
			t.Errorf("child items over all parents: %d, want %d", children, wantChildren)
		}
		for _, q := range []string{"type=STW", "type=Sports+Tower", "type=RS1688", "status=active&type=CL1788"} {
			_, _, body := get(t, inv, "/items?"+q)
			if p := decode[ItemPage](t, body); p.Total != 10 || len(p.Items) != 10 {
				t.Errorf("?%s: total %d len %d, want 10", q, p.Total, len(p.Items))
			}
		}
		for _, q := range []string{"type=NOPE", "status=retired", "location=NOWHERE", "offset=70"} {
			code, _, body := get(t, inv, "/items?"+q)
			p := decode[ItemPage](t, body)
			if code != 200 || len(p.Items) != 0 {
				t.Errorf("?%s: %d %d items", q, code, len(p.Items))
			}
		}
	})

	t.Run("item with children", func(t *testing.T) {
		for tag, n := range map[string]int{"ET-STW-001": 7, "ET-CL1788-010": 8, "ET-RS1688-010": 3, "ET-ME1688-005": 5} {
			code, _, body := get(t, inv, "/items/"+tag)
			it := decode[store.ItemDetail](t, body)
			if code != 200 || it.AssetTag != tag || len(it.Children) != n || it.ChildCount != n {
				t.Errorf("%s: %d, %d children (count %d), want %d", tag, code, len(it.Children), it.ChildCount, n)
			}
		}
		_, _, body := get(t, inv, "/items/ET-STW-001")
		it := decode[store.ItemDetail](t, body)
		serials := map[string]string{}
		for _, c := range it.Children {
			serials[c.Serial] = c.Component
		}
		if it.Type != "STW" || it.TypeName != "Sports Tower" || serials["ET-STW-001-MON-2"] != "MON" || serials["ET-STW-001-MON-1"] != "MON" {
			t.Errorf("ET-STW-001: %+v", it)
		}
		code, _, body := get(t, inv, "/items/ET-NOPE-001")
		if code != 404 || decode[Error](t, body).Error != `no item with asset tag "ET-NOPE-001"` {
			t.Errorf("unknown item: %d %s", code, body)
		}
	})

	t.Run("item types", func(t *testing.T) {
		_, _, body := get(t, inv, "/item-types")
		ts := decode[map[string][]store.ItemType](t, body)["item_types"]
		var codes []string
		comps := 0
		for _, ty := range ts {
			codes = append(codes, ty.Code)
			comps += len(ty.Components)
			if ty.ItemCount != 10 {
				t.Errorf("%s: %d items", ty.Code, ty.ItemCount)
			}
			if ty.Code == "STW" && (len(ty.Components) != 6 || ty.Name != "Sports Tower") {
				t.Errorf("STW: %+v", ty)
			}
		}
		if !slices.Equal(codes, wantTypeCodes) || comps != 36 {
			t.Errorf("types %v (%d components), want %v (36)", codes, comps, wantTypeCodes)
		}
	})

	t.Run("locations and filters by location", func(t *testing.T) {
		_, _, body := get(t, loc, "/locations")
		ls := decode[map[string][]store.Location](t, body)["locations"]
		kinds := map[string]int{}
		sum := 0
		for _, l := range ls {
			kinds[l.Kind]++
			sum += l.ItemCount
			// The inventory's location filter agrees with the location service.
			_, _, body := get(t, inv, "/items?limit=200&location="+url.QueryEscape(l.Code))
			if p := decode[ItemPage](t, body); p.Total != l.ItemCount {
				t.Errorf("%s: %d items by filter, %d by /locations", l.Code, p.Total, l.ItemCount)
			}
		}
		if len(ls) != wantLocations || kinds["hospital"] != 5 || kinds["warehouse"] != 2 || kinds["quarantine"] != 1 || sum != wantItems {
			t.Errorf("%d locations %v holding %d items", len(ls), kinds, sum)
		}
	})

	t.Run("movements", func(t *testing.T) {
		total := 0
		for _, it := range allItems(t) {
			code, _, body := get(t, loc, "/movements?item="+it.AssetTag)
			ms := decode[struct {
				Item      string           `json:"item"`
				Movements []store.Movement `json:"movements"`
			}](t, body)
			if code != 200 || ms.Item != it.AssetTag {
				t.Fatalf("%s: %d %s", it.AssetTag, code, body)
			}
			total += len(ms.Movements)
			for i, m := range ms.Movements {
				if i > 0 && (m.From != ms.Movements[i-1].To || !m.MovedAt.After(ms.Movements[i-1].MovedAt)) {
					t.Errorf("%s: movement %d breaks the chain or the order: %+v after %+v", it.AssetTag, i, m, ms.Movements[i-1])
				}
			}
			if n := len(ms.Movements); n > 0 && ms.Movements[n-1].To != it.Location {
				t.Errorf("%s: last movement ends at %s, item is at %s", it.AssetTag, ms.Movements[n-1].To, it.Location)
			}
		}
		if total != wantMovements {
			t.Errorf("%d movements over all items, want %d", total, wantMovements)
		}
		if code, _, body := get(t, loc, "/movements?item=ET-NOPE-001"); code != 404 {
			t.Errorf("unknown item: %d %s", code, body)
		}
	})

	t.Run("roles", func(t *testing.T) {
		code, _, body := get(t, apps["user"], "/roles")
		rs := decode[map[string][]store.Role](t, body)["roles"]
		perms := 0
		byName := map[string][]string{}
		for _, r := range rs {
			perms += len(r.Permissions)
			byName[r.Name] = r.Permissions
		}
		if code != 200 || len(rs) != wantRoles || perms != wantRolePerms {
			t.Errorf("%d: %d roles with %d permissions", code, len(rs), perms)
		}
		if want := []string{"items:read", "locations:read", "movements:read", "reports:read"}; !slices.Equal(byName["Viewer"], want) {
			t.Errorf("Viewer: %v, want %v", byName["Viewer"], want)
		}
		if len(byName["admin"]) != 9 {
			t.Errorf("admin: %v", byName["admin"])
		}
		for _, leak := range []string{"password", "argon2", "admin@", seedTestPasswd} {
			if strings.Contains(strings.ToLower(string(body)), leak) {
				t.Errorf("/roles leaks %q", leak)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		_, _, body := get(t, apps["reporting"], "/summary")
		s := decode[SummaryResponse](t, body).Summary
		if s.Items != wantItems || s.ChildItems != wantChildren || s.Movements != wantMovements || s.Locations != wantLocations {
			t.Errorf("totals %+v", s)
		}
		if len(s.ByType) != wantTypes {
			t.Errorf("by type %v", s.ByType)
		}
		for _, c := range wantTypeCodes {
			if s.ByType[c] != 10 {
				t.Errorf("by type %s = %d", c, s.ByType[c])
			}
		}
		if len(s.ByLocation) != wantLocations || sumOf(s.ByLocation) != wantItems || sumOf(s.ByKind) != wantItems {
			t.Errorf("by location %v, by kind %v", s.ByLocation, s.ByKind)
		}
		if len(s.ByStatus) != 1 || s.ByStatus["active"] != wantItems {
			t.Errorf("by status %v", s.ByStatus)
		}
		// Per location, against a count written independently of the store.
		conn, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows, _ := conn.Query(context.Background(), `SELECT l.kind, count(*) FROM items i, locations l WHERE l.id = i.current_location_id GROUP BY 1`)
		var kind string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&kind, &n}, func() error {
			if s.ByKind[kind] != n {
				t.Errorf("by kind %s = %d, SQL says %d", kind, s.ByKind[kind], n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("pages partition the result set", func(t *testing.T) {
		filters := []string{"", "type=STW", "type=Clinical+1788", "status=active", "status=retired", "location=WH-CENTRAL", "location=HOSP-A"}
		rapid.Check(t, func(rt *rapid.T) {
			filter := rapid.SampledFrom(filters).Draw(rt, "filter")
			limit := rapid.IntRange(1, MaxLimit).Draw(rt, "limit")
			start := rapid.IntRange(0, 3).Draw(rt, "start") // also pages not aligned on 0
			_, _, body := get(rt, inv, "/items?limit=200&"+filter)
			whole := decode[ItemPage](rt, body)
			var got []string
			for off := start; ; off += limit {
				_, _, body := get(rt, inv, "/items?"+filter+"&limit="+itoa(limit)+"&offset="+itoa(off))
				p := decode[ItemPage](rt, body)
				if p.Total != whole.Total || len(p.Items) > limit {
					rt.Fatalf("offset %d: total %d (want %d), %d items over limit %d", off, p.Total, whole.Total, len(p.Items), limit)
				}
				for _, it := range p.Items {
					got = append(got, it.AssetTag)
				}
				if len(p.Items) < limit {
					break
				}
			}
			var want []string
			for _, it := range whole.Items[min(start, len(whole.Items)):] {
				want = append(want, it.AssetTag)
			}
			if !slices.Equal(got, want) {
				rt.Fatalf("pages of %d from %d: %v, want %v", limit, start, got, want)
			}
		})
	})

	t.Run("through the gateway", func(t *testing.T) {
		ups := map[string]string{}
		for svc, h := range apps {
			s := httptest.NewServer(h)
			t.Cleanup(s.Close)
			ups[svc] = s.URL
		}
		gw, _ := gatewayTo(t, ups)
		code, _, body := get(t, gw, "/api/inventory/items?limit=5")
		if p := decode[ItemPage](t, body); code != 200 || len(p.Items) != 5 || p.Total != wantItems {
			t.Errorf("smoke: %d %d items of %d", code, len(p.Items), p.Total)
		}
		for _, p := range []string{"/api/inventory/readyz", "/api/location/readyz", "/api/user/readyz", "/api/reporting/readyz"} {
			code, _, body := get(t, gw, p)
			if h := decode[Health](t, body); code != 200 || h.Service != strings.Split(p, "/")[2] {
				t.Errorf("%s: %d %s", p, code, body)
			}
		}
		code, _, body = get(t, gw, "/api/location/movements?item=ET-STW-001")
		if code != 200 || !strings.Contains(string(body), `"item":"ET-STW-001"`) {
			t.Errorf("movements through the gateway: %d %s", code, body)
		}
	})
}

// The summary is cached for an hour: a change in the database stays invisible
// (stale, visibly "cached") until the key the seeder invalidates is gone.
func TestSummaryCache(t *testing.T) {
	ctx := context.Background()
	dbURL, redisURL := seededStores(t)
	a, _ := liveApp(t, "reporting", dbURL, redisURL)
	h := a.Handler()
	summary := func() SummaryResponse {
		t.Helper()
		code, _, body := get(t, h, "/summary")
		if code != 200 {
			t.Fatalf("/summary: %d %s", code, body)
		}
		return decode[SummaryResponse](t, body)
	}
	first := summary()
	if first.Cached || first.Summary.ByStatus["active"] != wantItems {
		t.Fatalf("first: %+v", first)
	}
	second := summary()
	if !second.Cached || !second.ComputedAt.Equal(first.ComputedAt) || second.Summary.Items != wantItems {
		t.Fatalf("second call not from the cache: %+v", second)
	}
	rdb := redis.NewClient(mustRedisOpts(t, redisURL))
	defer rdb.Close()
	ttl, err := rdb.TTL(ctx, "equiptrack:cache:reporting:summary").Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL of the cached summary: %s %v, want about 1 h", ttl, err)
	}

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE items SET status = 'retired' WHERE asset_tag = 'ET-STW-001'`); err != nil {
		t.Fatal(err)
	}
	if stale := summary(); !stale.Cached || stale.Summary.ByStatus["active"] != wantItems || stale.Summary.ByStatus["retired"] != 0 {
		t.Fatalf("after the change, before invalidation: %+v (want the stale cached summary)", stale)
	}
	n, err := seeddata.InvalidateCache(ctx, redisURL)
	if err != nil || n != 1 {
		t.Fatalf("invalidate: %d keys, %v; want 1", n, err)
	}
	fresh := summary()
	if fresh.Cached || fresh.Summary.ByStatus["active"] != wantItems-1 || fresh.Summary.ByStatus["retired"] != 1 {
		t.Fatalf("after invalidation: %+v", fresh)
	}
	if again := summary(); !again.Cached || !again.ComputedAt.Equal(fresh.ComputedAt) {
		t.Errorf("recomputed summary not cached again: %+v", again)
	}
}

func mustRedisOpts(t *testing.T, u string) *redis.Options {
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Readiness over real and broken dependencies: each failure is named, and a
// hanging database is cut off by the timeout.
func TestReadinessAgainstRealStores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL := containertest.PG(t).NewDatabase(ctx, t)
	redisURL := containertest.SharedRedis(t).NewDB(t)
	cases := []struct {
		name, db, redis string
		code            int
		failed          []string
	}{
		{"both up", dbURL, redisURL, 200, nil},
		{"database unreachable", closedURL(t, "postgres", "/x?sslmode=disable&connect_timeout=1"), redisURL, 503, []string{"postgres"}},
		{"redis down", dbURL, closedURL(t, "redis", "/0"), 503, []string{"redis"}},
		{"database hangs", blackholeURL(t, "postgres", "/x?sslmode=disable"), redisURL, 503, []string{"postgres"}},
		{"redis hangs", dbURL, blackholeURL(t, "redis", "/0"), 503, []string{"redis"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, _ := liveApp(t, "inventory", c.db, c.redis)
			start := time.Now()
			code, _, body := get(t, a.Handler(), "/readyz")
			if took := time.Since(start); took > ReadyTimeout+2*time.Second {
				t.Errorf("took %s", took)
			}
			h := decode[Health](t, body)
			var failed []string
			for k, v := range h.Checks {
				if v != "ok" {
					failed = append(failed, k)
				}
			}
			sort.Strings(failed)
			if code != c.code || !slices.Equal(failed, c.failed) || len(h.Checks) != 2 {
				t.Errorf("%d %s; want %d with %v failing", code, body, c.code, c.failed)
			}
		})
	}
}

// Redis down does not break the summary: it is computed from the database.
func TestSummaryWithoutRedis(t *testing.T) {
	dbURL, _ := seededStores(t)
	a, logs := liveApp(t, "reporting", dbURL, closedURL(t, "redis", "/0"))
	code, _, body := get(t, a.Handler(), "/summary")
	if s := decode[SummaryResponse](t, body); code != 200 || s.Cached || s.Summary.Items != wantItems {
		t.Errorf("%d %s", code, body)
	}
	if !strings.Contains(logs.String(), "summary cache read failed") {
		t.Errorf("no warning logged: %s", logs.String())
	}
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
