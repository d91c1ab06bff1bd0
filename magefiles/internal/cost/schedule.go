package cost

import (
	"regexp"
	"strconv"
	"strings"
)

// scheduled is one Application Auto Scaling scheduled action of an ECS
// service.
type scheduled struct {
	cron string
	up   bool // sets a capacity above zero
}

// schedules returns, per ECS service name, the hours a month it runs when
// the plan scales it to zero on a schedule: computed from the scheduled
// actions' cron expressions when they are simple (fixed minute and hour,
// days of the week), else the scheduled_hours_per_month assumption.
func (e *estimator) schedules() map[string]float64 {
	byService := map[string][]scheduled{}
	services := e.ix.ofType("aws_ecs_service")
	for _, r := range e.ix.ofType("aws_appautoscaling_scheduled_action") {
		if d := str(r.Values, "scalable_dimension"); d != "" && d != "ecs:service:DesiredCount" {
			continue
		}
		name := ""
		if id := str(r.Values, "resource_id"); strings.HasPrefix(id, "service/") {
			parts := strings.Split(id, "/")
			name = parts[len(parts)-1]
		} else {
			// resource_id unknown at plan time: the service of the same module instance.
			for _, s := range services {
				if s.Module == r.Module {
					name = serviceName(s)
				}
			}
		}
		if name == "" {
			continue
		}
		up := true
		for _, t := range blocks(r.Values, "scalable_target_action") {
			if maxc, ok := num(t, "max_capacity"); ok && maxc == 0 {
				up = false
			}
		}
		byService[name] = append(byService[name], scheduled{cron: str(r.Values, "schedule"), up: up})
	}
	out := map[string]float64{}
	for name, acts := range byService {
		down := false
		for _, a := range acts {
			if !a.up {
				down = true
			}
		}
		if !down {
			continue // a schedule that never reaches zero changes nothing here
		}
		if h, ok := monthlyHours(acts, e.hours); ok {
			out[name] = h
		} else {
			out[name] = e.a.v(ScheduledHoursPerMonth)
		}
	}
	return out
}

var cronExpr = regexp.MustCompile(`^cron\((\d{1,2}) (\d{1,2}) ([?*]) \* (\S+)(?: \*)?\)$`)

var dayNames = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}

// days parses an AWS cron day-of-week field (names, 1-7 with 1 = Sunday,
// ranges and lists, * or ?).
func days(field string) ([]bool, bool) {
	set := make([]bool, 7)
	if field == "*" || field == "?" {
		for i := range set {
			set[i] = true
		}
		return set, true
	}
	day := func(s string) (int, bool) {
		if d, ok := dayNames[strings.ToUpper(s)]; ok {
			return d, true
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 7 {
			return 0, false
		}
		return n - 1, true
	}
	for _, part := range strings.Split(field, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, ok := day(lo)
		if !ok {
			return nil, false
		}
		b := a
		if isRange {
			if b, ok = day(hi); !ok {
				return nil, false
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			set[d] = true
			if d == b {
				break
			}
		}
	}
	return set, true
}

// monthlyHours walks two weeks minute by minute, applying the actions, and
// counts the minutes of the second week with the service up (the first
// week settles the state). Hours a month = weekly hours × hoursPerMonth/168.
func monthlyHours(acts []scheduled, hoursPerMonth float64) (float64, bool) {
	type event struct {
		minuteOfWeek int
		up           bool
	}
	var events []event
	for _, a := range acts {
		m := cronExpr.FindStringSubmatch(strings.TrimSpace(a.cron))
		if m == nil {
			return 0, false
		}
		minute, _ := strconv.Atoi(m[1])
		hour, _ := strconv.Atoi(m[2])
		if minute > 59 || hour > 23 {
			return 0, false
		}
		set, ok := days(m[4])
		if !ok {
			return 0, false
		}
		for d, on := range set {
			if on {
				events = append(events, event{d*1440 + hour*60 + minute, a.up})
			}
		}
	}
	const week = 7 * 1440
	at := map[int]bool{}
	for _, ev := range events {
		at[ev.minuteOfWeek] = ev.up
	}
	up := true
	upMinutes := 0
	for t := 0; t < 2*week; t++ {
		if u, ok := at[t%week]; ok {
			up = u
		}
		if t >= week && up {
			upMinutes++
		}
	}
	return float64(upMinutes) / 60 * hoursPerMonth / 168, true
}
