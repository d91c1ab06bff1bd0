package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/store"
)

// Paging limits of GET /items.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	MaxOffset    = 1_000_000
	maxTextParam = 64
)

// itemParams are the query parameters GET /items accepts.
var itemParams = []string{"type", "location", "status", "limit", "offset"}

// ParseItemQuery validates the query of GET /items. Unknown or repeated
// parameters, a limit outside [1, MaxLimit], an offset outside
// [0, MaxOffset], a status other than active/retired and type/location
// values that are empty, over 64 characters or hold control characters are
// errors (400).
func ParseItemQuery(q url.Values) (store.ItemFilter, error) {
	f := store.ItemFilter{Limit: DefaultLimit}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same problem first every time
	for _, k := range keys {
		vs := q[k]
		if !contains(itemParams, k) {
			return f, fmt.Errorf("unknown query parameter %q (allowed: %s)", k, strings.Join(itemParams, ", "))
		}
		if len(vs) != 1 {
			return f, fmt.Errorf("query parameter %q given %d times", k, len(vs))
		}
		v := vs[0]
		var err error
		switch k {
		case "limit":
			f.Limit, err = parseBounded(k, v, 1, MaxLimit)
		case "offset":
			f.Offset, err = parseBounded(k, v, 0, MaxOffset)
		case "status":
			if v != "active" && v != "retired" {
				err = fmt.Errorf("status=%q: want active or retired", v)
			}
			f.Status = v
		case "type":
			f.Type, err = textParam(k, v)
		case "location":
			f.Location, err = textParam(k, v)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

func parseBounded(name, v string, lo, hi int) (int, error) {
	// Digits only: no signs, spaces or exponents sneaking through Atoi.
	if v == "" || len(v) > 9 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%s=%q: want an integer in [%d, %d]", name, v, lo, hi)
	}
	n, _ := strconv.Atoi(v)
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s=%d: want an integer in [%d, %d]", name, n, lo, hi)
	}
	return n, nil
}

func textParam(name, v string) (string, error) {
	if v == "" || utf8.RuneCountInString(v) > maxTextParam || !utf8.ValidString(v) ||
		strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%s=%q: want 1 to %d printable characters (a code or a name)", name, v, maxTextParam)
	}
	return v, nil
}

// ItemPage is the body of GET /items.
type ItemPage struct {
	Items  []store.Item `json:"items"`
	Total  int          `json:"total"`
	Limit  int          `json:"limit"`
	Offset int          `json:"offset"`
}

func (a *App) listItems(w http.ResponseWriter, r *http.Request) {
	f, err := ParseItemQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, total, err := a.store.Items(r.Context(), f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ItemPage{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset})
}

func (a *App) getItem(w http.ResponseWriter, r *http.Request) {
	tag := r.PathValue("asset_tag")
	if _, err := textParam("asset_tag", tag); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	it, err := a.store.Item(r.Context(), tag)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no item with asset tag %q", tag))
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func (a *App) itemTypes(w http.ResponseWriter, r *http.Request) {
	ts, err := a.store.ItemTypes(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item_types": ts})
}

func (a *App) locations(w http.ResponseWriter, r *http.Request) {
	ls, err := a.store.Locations(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"locations": ls})
}

func (a *App) movements(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "item" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q (allowed: item)", k))
			return
		}
	}
	if len(q["item"]) != 1 {
		writeError(w, http.StatusBadRequest, "give exactly one item=<asset_tag>")
		return
	}
	tag, err := textParam("item", q.Get("item"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ms, err := a.store.Movements(r.Context(), tag)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no item with asset tag %q", tag))
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": tag, "movements": ms})
}

func (a *App) roles(w http.ResponseWriter, r *http.Request) {
	rs, err := a.store.Roles(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": rs})
}

// SummaryCacheKey is where the reporting service caches the fleet summary —
// under the prefix the seeder invalidates after every seed
// (seeddata.ReportingSummaryKey; a test holds the two equal).
const SummaryCacheKey = "equiptrack:cache:reporting:summary"

// SummaryTTL is long on purpose: only the seeder's invalidation (or the TTL)
// refreshes the summary, so a stale cache is visible end to end.
const SummaryTTL = time.Hour

// SummaryResponse is the body of GET /summary.
type SummaryResponse struct {
	Summary    store.Summary `json:"summary"`
	ComputedAt time.Time     `json:"computed_at"`
	Cached     bool          `json:"cached"` // true when served from Redis
}

func (a *App) summary(w http.ResponseWriter, r *http.Request) {
	resp, err := a.Summary(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// Summary returns the cached fleet summary, or computes and caches it. A Redis
// failure is logged and the summary computed from the database: the cache is
// an optimisation, not a dependency of correctness.
func (a *App) Summary(ctx context.Context) (SummaryResponse, error) {
	raw, err := a.rdb.Get(ctx, SummaryCacheKey).Bytes()
	switch {
	case err == nil:
		var resp SummaryResponse
		if jerr := json.Unmarshal(raw, &resp); jerr == nil {
			resp.Cached = true
			return resp, nil
		}
		a.log.Warn("cached summary unreadable: recomputing", "key", SummaryCacheKey)
	case !errors.Is(err, redis.Nil):
		a.log.Warn("summary cache read failed: computing from the database", "err", err)
	}
	sum, err := a.store.Summary(ctx)
	if err != nil {
		return SummaryResponse{}, err
	}
	resp := SummaryResponse{Summary: sum, ComputedAt: a.now().UTC().Truncate(time.Millisecond)}
	b, _ := json.Marshal(resp)
	if err := a.rdb.Set(ctx, SummaryCacheKey, b, SummaryTTL).Err(); err != nil {
		a.log.Warn("summary cache write failed", "err", err)
	}
	return resp, nil
}

// internal logs the cause and answers 500 without leaking it.
func (a *App) internal(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	status := http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		status = http.StatusServiceUnavailable
	}
	writeError(w, status, "internal error: see the service log")
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

func joinSorted(ss []string) string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return strings.Join(out, ", ")
}
