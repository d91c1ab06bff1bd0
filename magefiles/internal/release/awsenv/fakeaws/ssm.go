package fakeaws

import (
	"time"
)

type ssmVersion struct {
	Value    string
	Type     string
	Tier     string
	Version  int64
	Modified time.Time
}

type ssmParam struct {
	history []ssmVersion // oldest first; the last is current
	next    int64
}

type ssmState struct {
	params map[string]*ssmParam
}

func newSSM() *ssmState { return &ssmState{params: map[string]*ssmParam{}} }

// ssmMaxVersions: SSM keeps 100 versions and drops the oldest.
const ssmMaxVersions = 100

func (f *Fake) ssmOp(rg *region, op string, body []byte) (any, error) {
	s := rg.ssm
	switch op {
	case "GetParameter":
		var in struct{ Name string }
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		p := s.params[in.Name]
		if p == nil {
			return nil, clientErr("ParameterNotFound", "")
		}
		return map[string]any{"Parameter": f.ssmParamJSON(rg, in.Name, p.history[len(p.history)-1])}, nil
	case "PutParameter":
		var in struct {
			Name, Value, Type, Tier string
			Overwrite               bool
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		if in.Name == "" || in.Value == "" {
			return nil, clientErr("ValidationException", "Name and Value are required")
		}
		if in.Tier == "" {
			in.Tier = "Standard"
		}
		if in.Tier == "Intelligent-Tiering" {
			in.Tier = "Standard"
			if len(in.Value) > 4096 {
				in.Tier = "Advanced"
			}
		}
		if limit := map[string]int{"Standard": 4096, "Advanced": 8192}[in.Tier]; len(in.Value) > limit {
			return nil, clientErr("ValidationException", "%s tier parameters support a maximum parameter value of %d characters", in.Tier, limit)
		}
		p := s.params[in.Name]
		if p != nil && !in.Overwrite {
			return nil, clientErr("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		if p == nil {
			if in.Type == "" {
				in.Type = "String"
			}
			p = &ssmParam{}
			s.params[in.Name] = p
		} else if in.Type == "" {
			in.Type = p.history[len(p.history)-1].Type
		}
		p.next++
		p.history = append(p.history, ssmVersion{Value: in.Value, Type: in.Type, Tier: in.Tier, Version: p.next, Modified: f.Clock.Now()})
		if len(p.history) > ssmMaxVersions {
			p.history = p.history[1:]
		}
		return map[string]any{"Version": p.next, "Tier": in.Tier}, nil
	case "DeleteParameter":
		var in struct{ Name string }
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		if s.params[in.Name] == nil {
			return nil, clientErr("ParameterNotFound", "")
		}
		delete(s.params, in.Name)
		return map[string]any{}, nil
	case "GetParameterHistory":
		var in struct {
			Name, NextToken string
			MaxResults      int
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		p := s.params[in.Name]
		if p == nil {
			return nil, clientErr("ParameterNotFound", "")
		}
		items, next, err := page(f, p.history, in.NextToken, in.MaxResults)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, v := range items {
			out = append(out, f.ssmParamJSON(rg, in.Name, v))
		}
		res := map[string]any{"Parameters": out}
		if next != "" {
			res["NextToken"] = next
		}
		return res, nil
	}
	return nil, clientErr("UnknownOperationException", "ssm:%s is not modelled", op)
}

func (f *Fake) ssmParamJSON(rg *region, name string, v ssmVersion) map[string]any {
	return map[string]any{
		"Name": name, "Type": v.Type, "Value": v.Value, "Version": v.Version, "Tier": v.Tier,
		"LastModifiedDate": epoch(v.Modified), "DataType": "text",
		"ARN": f.arn(rg, "ssm", "parameter"+name),
	}
}

// PutParameter seeds a parameter in the default region, as Terraform would.
func (f *Fake) PutParameter(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.regionState(f.o.Region).ssm
	p := s.params[name]
	if p == nil {
		p = &ssmParam{}
		s.params[name] = p
	}
	p.next++
	p.history = append(p.history, ssmVersion{Value: value, Type: "String", Tier: "Standard", Version: p.next, Modified: f.Clock.Now()})
}

// Parameter returns a parameter's current value in the default region.
func (f *Fake) Parameter(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.regionState(f.o.Region).ssm.params[name]
	if p == nil {
		return "", false
	}
	return p.history[len(p.history)-1].Value, true
}
