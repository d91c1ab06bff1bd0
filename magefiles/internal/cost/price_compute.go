// Pricers of compute: ECS services on Fargate (with their capacity-provider strategies), EC2
// instances and EBS volumes.

package cost

import (
	"fmt"
	"strings"
)

func (e *estimator) ecsService(r *resource, sched map[string]float64) error {
	name := serviceName(r)
	td := e.ix.refTarget(r, "task_definition", "aws_ecs_task_definition")
	if td == nil {
		var same []*resource
		for _, x := range e.ix.ofType("aws_ecs_task_definition") {
			if x.Module == r.Module {
				same = append(same, x)
			}
		}
		if len(same) == 1 {
			td = same[0]
		}
	}
	if td == nil {
		e.unpriced(r, "its task definition is not in the plan")
		return nil
	}
	cpu, ok1 := num(td.Values, "cpu")
	mem, ok2 := num(td.Values, "memory")
	if !ok1 || !ok2 || cpu <= 0 || mem <= 0 {
		e.unpriced(r, "its task definition's task-level cpu/memory are not known at plan time")
		return nil
	}
	task := Task{CPUUnits: cpu, MemoryMiB: mem, Arch: "X86_64", OS: "LINUX"}
	if rp := blocks(td.Values, "runtime_platform"); len(rp) > 0 {
		if s := str(rp[0], "cpu_architecture"); s != "" {
			task.Arch = s
		}
		if s := str(rp[0], "operating_system_family"); s != "" {
			task.OS = s
		}
	}
	desired, _ := num(r.Values, "desired_count")
	if n, ok := e.o.DesiredCounts[name]; ok {
		desired = n
	}
	strategy, launch, err := e.strategy(r)
	if err != nil {
		return err
	}
	if launch == "EC2" || launch == "EXTERNAL" {
		e.unpriced(r, "launch type "+launch+" (the EC2 capacity is priced by its instances)")
		return nil
	}
	if b, ok := e.o.OnDemandBase[name]; ok {
		strategy = []Strategy{{Provider: "FARGATE", Base: b}, {Provider: "FARGATE_SPOT", Weight: 1}}
	}
	if e.o.OnDemandX86 {
		strategy = []Strategy{{Provider: "FARGATE", Weight: 1}}
		task.Arch = "X86_64"
	}
	hours := e.hours
	schedNote := ""
	if h, ok := sched[name]; ok && !e.o.AlwaysOn {
		hours = h
		schedNote = " (scheduled scale-to-zero)"
		if e.est.Scheduled == nil {
			e.est.Scheduled = map[string]float64{}
		}
		e.est.Scheduled[name] = h
	}
	if e.o.ServiceHours > 0 {
		hours = e.o.ServiceHours
		schedNote = " (what-if schedule)"
	}
	split, err := Split(desired, strategy)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Address, err)
	}
	var total float64
	var parts []string
	for _, prov := range []string{"FARGATE", "FARGATE_SPOT"} {
		n := split[prov]
		if n == 0 {
			continue
		}
		usd, err := TaskMonthly(e.p, r.Address, e.region, prov, task, n, hours)
		if err != nil {
			return err
		}
		total += usd
		label := "on-demand"
		if prov == "FARGATE_SPOT" {
			label = "Spot"
		}
		parts = append(parts, fmt.Sprintf("%s %s $%.2f", fmtN(n), label, usd))
	}
	for prov := range split {
		if prov != "FARGATE" && prov != "FARGATE_SPOT" {
			e.unpriced(r, "capacity provider "+prov+" (not Fargate)")
			return nil
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no tasks")
	}
	detail := fmt.Sprintf("%s × %g vCPU/%g GB %s × %s h%s: %s", plural(desired, "task"), task.vCPU(), task.gb(), task.Arch, fmtN(hours), schedNote, strings.Join(parts, " + "))
	e.add(CatFargate, r, name, detail, total)
	e.tasks[r.Module] += desired
	for _, nc := range blocks(r.Values, "network_configuration") {
		if boolean(nc, "assign_public_ip") && desired > 0 {
			if err := e.ipv4(r, name, desired, hours, "tasks with assign_public_ip"); err != nil {
				return err
			}
		}
	}
	return nil
}

// strategy is a service's capacity-provider strategy: its own, its launch
// type, or its cluster's default.
func (e *estimator) strategy(r *resource) ([]Strategy, string, error) {
	toStrategy := func(bs []map[string]any) []Strategy {
		var out []Strategy
		for _, b := range bs {
			base, _ := num(b, "base")
			w, _ := num(b, "weight")
			out = append(out, Strategy{Provider: str(b, "capacity_provider"), Base: base, Weight: w})
		}
		return out
	}
	if s := toStrategy(blocks(r.Values, "capacity_provider_strategy")); len(s) > 0 {
		return s, "", nil
	}
	switch lt := str(r.Values, "launch_type"); lt {
	case "FARGATE":
		return []Strategy{{Provider: "FARGATE", Weight: 1}}, lt, nil
	case "EC2", "EXTERNAL":
		return nil, lt, nil
	}
	cps := e.ix.ofType("aws_ecs_cluster_capacity_providers")
	var chosen *resource
	if cl := e.ix.refTarget(r, "cluster", "aws_ecs_cluster"); cl != nil {
		for _, cp := range cps {
			if e.ix.refTarget(cp, "cluster_name", "aws_ecs_cluster") == cl {
				chosen = cp
			}
		}
	}
	if chosen == nil && len(cps) == 1 {
		chosen = cps[0]
	}
	if chosen != nil {
		if s := toStrategy(blocks(chosen.Values, "default_capacity_provider_strategy")); len(s) > 0 {
			return s, "", nil
		}
	}
	// No strategy anywhere: ECS uses the EC2 launch type.
	return nil, "EC2", nil
}

func (e *estimator) instance(r *resource, name string) error {
	v := r.Values
	it := str(v, "instance_type")
	if it == "" {
		e.unpriced(r, "instance type unknown at plan time")
		return nil
	}
	hour, err := e.get(r, "ec2."+it+".hour")
	if err != nil {
		return err
	}
	cat, what := CatCompute, "instance"
	if b, ok := v["source_dest_check"].(bool); ok && !b {
		cat, what = CatNAT, "NAT instance"
	}
	usd := e.hours * hour
	detail := fmt.Sprintf("%s %s × %s h × $%g", what, it, fmtN(e.hours), hour)
	size, vt := 8.0, "gp3" // the usual AMI root volume when the plan does not say
	if rb := blocks(v, "root_block_device"); len(rb) > 0 {
		if s, ok := num(rb[0], "volume_size"); ok && s > 0 {
			size = s
		}
		if s := str(rb[0], "volume_type"); s != "" {
			vt = s
		}
	}
	vols := []struct {
		size float64
		typ  string
	}{{size, vt}}
	for _, b := range blocks(v, "ebs_block_device") {
		s, _ := num(b, "volume_size")
		t := str(b, "volume_type")
		if t == "" {
			t = "gp3"
		}
		vols = append(vols, struct {
			size float64
			typ  string
		}{s, t})
	}
	for _, vol := range vols {
		p, err := e.get(r, "ebs."+vol.typ+".gb_month")
		if err != nil {
			return err
		}
		usd += vol.size * p
		detail += fmt.Sprintf(" + EBS %s %s GB × $%g", vol.typ, fmtN(vol.size), p)
	}
	if cat == CatNAT {
		detail += "; no per-GB processing charge"
	}
	e.add(cat, r, name, detail, usd)
	if boolean(v, "associate_public_ip_address") {
		return e.ipv4(r, name, 1, e.hours, what+" public address")
	}
	return nil
}

func (e *estimator) ebsVolume(r *resource, name string) error {
	v := r.Values
	size, _ := num(v, "size")
	t := str(v, "type")
	if t == "" {
		t = "gp3"
	}
	price, err := e.get(r, "ebs."+t+".gb_month")
	if err != nil {
		return err
	}
	e.add(CatCompute, r, name, fmt.Sprintf("EBS %s %s GB × $%g", t, fmtN(size), price), size*price)
	return nil
}
