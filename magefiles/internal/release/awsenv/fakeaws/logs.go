package fakeaws

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

type logEvent struct {
	Stream  string
	Time    time.Time
	Message string
	ID      int
}

type logsState struct {
	groups map[string]map[string][]logEvent // group → stream → events
	nextID int
}

func newLogs() *logsState { return &logsState{groups: map[string]map[string][]logEvent{}} }

func (s *logsState) write(group, stream string, at time.Time, lines ...string) {
	g := s.groups[group]
	if g == nil { // the awslogs driver creates nothing: a missing group loses the lines
		return
	}
	for i, l := range lines {
		s.nextID++
		g[stream] = append(g[stream], logEvent{Stream: stream, Time: at.Add(time.Duration(i) * time.Millisecond), Message: l, ID: s.nextID})
	}
}

func (f *Fake) logsOp(rg *region, op string, body []byte) (any, error) {
	s := rg.logs
	f.advance(rg)
	switch op {
	case "GetLogEvents":
		var in struct {
			LogGroupName, LogStreamName string
			Limit                       int
			StartFromHead               bool
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		g := s.groups[in.LogGroupName]
		if g == nil {
			return nil, clientErr("ResourceNotFoundException", "The specified log group does not exist.")
		}
		evs, ok := g[in.LogStreamName]
		if !ok {
			return nil, clientErr("ResourceNotFoundException", "The specified log stream does not exist.")
		}
		if in.Limit <= 0 || in.Limit > 10000 {
			in.Limit = 10000
		}
		if !in.StartFromHead && len(evs) > in.Limit {
			evs = evs[len(evs)-in.Limit:]
		} else if len(evs) > in.Limit {
			evs = evs[:in.Limit]
		}
		out := []any{}
		for _, e := range evs {
			out = append(out, map[string]any{"timestamp": e.Time.UnixMilli(), "message": e.Message, "ingestionTime": e.Time.UnixMilli()})
		}
		return map[string]any{"events": out, "nextForwardToken": "f/0", "nextBackwardToken": "b/0"}, nil
	case "FilterLogEvents":
		var in struct {
			LogGroupName, LogStreamNamePrefix, NextToken, FilterPattern string
			StartTime, EndTime                                          int64
			Limit                                                       int
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		g := s.groups[in.LogGroupName]
		if g == nil {
			return nil, clientErr("ResourceNotFoundException", "The specified log group does not exist.")
		}
		var all []logEvent
		for name, evs := range g {
			if !strings.HasPrefix(name, in.LogStreamNamePrefix) {
				continue
			}
			for _, e := range evs {
				ms := e.Time.UnixMilli()
				if (in.StartTime > 0 && ms < in.StartTime) || (in.EndTime > 0 && ms > in.EndTime) {
					continue
				}
				if in.FilterPattern != "" && !strings.Contains(e.Message, strings.Trim(in.FilterPattern, `"`)) {
					continue
				}
				all = append(all, e)
			}
		}
		sort.Slice(all, func(i, j int) bool {
			if !all[i].Time.Equal(all[j].Time) {
				return all[i].Time.Before(all[j].Time)
			}
			return all[i].ID < all[j].ID
		})
		items, next, err := page(f, all, in.NextToken, in.Limit)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, e := range items {
			out = append(out, map[string]any{"logStreamName": e.Stream, "timestamp": e.Time.UnixMilli(), "message": e.Message, "ingestionTime": e.Time.UnixMilli(), "eventId": strconv.Itoa(e.ID)})
		}
		res := map[string]any{"events": out}
		if next != "" {
			res["nextToken"] = next
		}
		return res, nil
	}
	return nil, clientErr("UnknownOperationException", "logs:%s is not modelled", op)
}

// CreateLogGroup seeds a log group in the default region.
func (f *Fake) CreateLogGroup(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.regionState(f.o.Region).logs
	if s.groups[name] == nil {
		s.groups[name] = map[string][]logEvent{}
	}
}

// WriteLog appends lines to a stream of a group in the default region.
func (f *Fake) WriteLog(group, stream string, lines ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regionState(f.o.Region).logs.write(group, stream, f.Clock.Now(), lines...)
}
