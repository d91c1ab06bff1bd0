package planguard

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// planOf decodes literal plan JSON (the shape of `show -json`).
func planOf(t *testing.T, changes string) *tfjson.Plan {
	t.Helper()
	var p tfjson.Plan
	if err := json.Unmarshal([]byte(`{"format_version":"1.2","resource_changes":`+changes+`}`), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestChangedPaths(t *testing.T) {
	for _, tc := range []struct {
		name, change string
		want         string
	}{
		{"scalar", `{"before":{"a":1,"b":"x"},"after":{"a":2,"b":"x"},"after_unknown":{}}`, "a"},
		{"nested list", `{"before":{"s":[{"min":3,"max":3}]},"after":{"s":[{"min":1,"max":1}]},"after_unknown":{}}`, "s[0].max,s[0].min"},
		{"list length", `{"before":{"l":[1,2]},"after":{"l":[1]},"after_unknown":{}}`, "l"},
		{"unknown", `{"before":{"v":1,"w":2},"after":{"w":2},"after_unknown":{"v":true}}`, "v(unknown)"},
		{"json string", `{"before":{"value":"{\"services\":{\"gateway\":{\"desired_count\":3,\"port\":8080}}}"},"after":{"value":"{\"services\":{\"gateway\":{\"desired_count\":1,\"port\":8080}}}"},"after_unknown":{}}`, "value:services.gateway.desired_count"},
		{"null vs empty", `{"before":{"tags":null,"l":[]},"after":{"tags":{},"l":null},"after_unknown":{}}`, ""},
		{"map key added", `{"before":{"tags":{"A":"1"}},"after":{"tags":{"A":"1","B":"2"}},"after_unknown":{}}`, "tags.B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c tfjson.Change
			if err := json.Unmarshal([]byte(tc.change), &c); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ChangedPaths(&c) {
				s := p.Path
				if p.Unknown {
					s += "(unknown)"
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("paths = %q, want %q", strings.Join(got, ","), tc.want)
			}
		})
	}
}

func TestFormatPath(t *testing.T) {
	if got := FormatPath([]any{"ingress", float64(0), "from_port"}); got != "ingress[0].from_port" {
		t.Errorf("got %q", got)
	}
}

const svcUpdate = `{"address":"module.environment.module.service[\"gateway\"].aws_ecs_service.this[0]","mode":"managed","type":"aws_ecs_service","name":"this",
 "change":{"actions":["update"],"before":{"name":"equiptrack-dev-gateway","desired_count":3},"after":{"name":"equiptrack-dev-gateway","desired_count":1},"after_unknown":{}}}`

func TestScaleOnly(t *testing.T) {
	p := planOf(t, `[`+svcUpdate+`,
 {"address":"module.environment.module.service[\"gateway\"].aws_appautoscaling_target.this[0]","mode":"managed","type":"aws_appautoscaling_target","name":"this",
  "change":{"actions":["update"],"before":{"min_capacity":3,"max_capacity":3},"after":{"min_capacity":1,"max_capacity":1},"after_unknown":{}}},
 {"address":"aws_ssm_parameter.facts","mode":"managed","type":"aws_ssm_parameter","name":"facts",
  "change":{"actions":["update"],"before":{"value":"{\"services\":{\"gateway\":{\"desired_count\":3}}}","version":4},"after":{"value":"{\"services\":{\"gateway\":{\"desired_count\":1}}}"},"after_unknown":{"version":true}}},
 {"address":"aws_lb.this","mode":"managed","type":"aws_lb","name":"this",
  "change":{"actions":["no-op"],"before":{"idle_timeout":60},"after":{"idle_timeout":60},"after_unknown":{}}},
 {"address":"data.aws_caller_identity.this","mode":"data","type":"aws_caller_identity","name":"this","change":{"actions":["read"]}}
]`)
	r := ScaleOnly(p)
	if err := r.Err(); err != nil {
		t.Fatalf("refused: %v", err)
	}
	if len(r.Counts) != 1 || r.Counts[0].Service != "gateway" || r.Counts[0].Before != 3 || r.Counts[0].After != 1 {
		t.Errorf("counts = %+v", r.Counts)
	}
	if strings.Join(r.Tied, ",") != `aws_ssm_parameter.facts,module.environment.module.service["gateway"].aws_appautoscaling_target.this[0]` {
		t.Errorf("tied = %v", r.Tied)
	}
}

func TestScaleOnlyRefusesOthers(t *testing.T) {
	p := planOf(t, `[`+svcUpdate+`,
 {"address":"module.environment.module.service[\"ui\"].aws_ecs_service.this[0]","mode":"managed","type":"aws_ecs_service","name":"this",
  "change":{"actions":["update"],"before":{"desired_count":1,"health_check_grace_period_seconds":30},"after":{"desired_count":1,"health_check_grace_period_seconds":60},"after_unknown":{}}},
 {"address":"aws_lb.this","mode":"managed","type":"aws_lb","name":"this",
  "change":{"actions":["update"],"before":{"idle_timeout":60,"tags":{"A":"1"}},"after":{"idle_timeout":120,"tags":{"A":"2"}},"after_unknown":{}}},
 {"address":"aws_sns_topic.alarms","mode":"managed","type":"aws_sns_topic","name":"alarms","change":{"actions":["create"],"before":null,"after":{}}},
 {"address":"aws_ssm_parameter.facts","mode":"managed","type":"aws_ssm_parameter","name":"facts",
  "change":{"actions":["update"],"before":{"value":"{\"url\":\"https://a\"}"},"after":{"value":"{\"url\":\"https://b\"}"},"after_unknown":{}}}
]`)
	err := ScaleOnly(p).Err()
	want := `the plan changes 4 resource(s) besides the services' desired counts:
  update aws_lb.this: idle_timeout, tags.A
  create aws_sns_topic.alarms
  update aws_ssm_parameter.facts: value:url
  update module.environment.module.service["ui"].aws_ecs_service.this[0]: health_check_grace_period_seconds
  (apply them with <env>:apply first, or pass -allowOtherChanges=true to apply them with the scale-down)`
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestStateful(t *testing.T) {
	p := planOf(t, `[
 {"address":"module.environment.module.postgres.aws_db_instance.this","mode":"managed","type":"aws_db_instance","name":"this","action_reason":"replace_because_cannot_update",
  "change":{"actions":["delete","create"],"before":{"engine_version":"16.4","allocated_storage":20},"after":{"engine_version":"15.8","allocated_storage":20},"after_unknown":{},"replace_paths":[["engine_version"]]}},
 {"address":"module.environment.module.redis.aws_elasticache_serverless_cache.this[0]","mode":"managed","type":"aws_elasticache_serverless_cache","name":"this","action_reason":"delete_because_count_index",
  "change":{"actions":["delete"],"before":{"name":"c"},"after":null}},
 {"address":"aws_s3_bucket.state","mode":"managed","type":"aws_s3_bucket","name":"state",
  "change":{"actions":["create","delete"],"before":{"bucket":"a"},"after":{"bucket":"b"},"after_unknown":{"arn":true}}},
 {"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs",
  "change":{"actions":["update"],"before":{"bucket":"l","tags":{}},"after":{"bucket":"l","tags":{"A":"1"}},"after_unknown":{}}},
 {"address":"aws_db_instance.gone","mode":"managed","type":"aws_db_instance","name":"gone","change":{"actions":["forget"],"before":{"id":"x"},"after":null}},
 {"address":"aws_lb.this","mode":"managed","type":"aws_lb","name":"this","change":{"actions":["delete","create"],"before":{},"after":{}}}
]`)
	err := Stateful(p, nil)
	want := `the plan replaces or destroys 3 stateful resource(s) (their data would be lost):
  replace aws_s3_bucket.state (bucket): changes bucket
  replace module.environment.module.postgres.aws_db_instance.this (database): forced by engine_version [the provider cannot update it in place]
  destroy module.environment.module.redis.aws_elasticache_serverless_cache.this[0] (cache) [its count or for_each no longer includes it]
  (if this is intended, back the data up and name each address with -allowReplace=<address>)`
	if err == nil || err.Error() != want {
		t.Fatalf("err =\n%v\nwant\n%s", err, want)
	}
	err = Stateful(p, []string{"aws_s3_bucket.state", "module.environment.module.redis.aws_elasticache_serverless_cache.this[0]"})
	var se *StatefulError
	if !errors.As(err, &se) || len(se.Offences) != 1 || se.Offences[0].Type != "aws_db_instance" {
		t.Errorf("with two allowed: %v", err)
	}
	if got := Unallowed(p, []string{"aws_s3_bucket.state", "aws_s3_bucket.logs"}); len(got) != 1 || got[0] != "aws_s3_bucket.logs" {
		t.Errorf("Unallowed = %v", got)
	}
}
