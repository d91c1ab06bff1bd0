package awsenv

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"pgregory.net/rapid"
)

func genContainer(t *rapid.T, name string) ecstypes.ContainerDefinition {
	env := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) ecstypes.KeyValuePair {
		return ecstypes.KeyValuePair{
			Name:  aws.String(rapid.SampledFrom([]string{"PORT", "APP_VERSION", "DATABASE_HOST", "LOG_LEVEL", "X"}).Draw(t, "k")),
			Value: aws.String(rapid.StringMatching(`[a-z0-9.:-]{0,12}`).Draw(t, "v")),
		}
	}), 0, 5).Draw(t, "env")
	c := ecstypes.ContainerDefinition{
		Name:        aws.String(name),
		Image:       aws.String(rapid.StringMatching(`[a-z0-9.]{3,10}/[a-z]{2,8}:[a-z0-9.]{1,8}`).Draw(t, "image")),
		Essential:   aws.Bool(rapid.Bool().Draw(t, "essential")),
		Cpu:         rapid.Int32Range(0, 4096).Draw(t, "cpu"),
		Environment: env,
		Command:     rapid.SliceOfN(rapid.StringMatching(`[a-z-]{1,6}`), 0, 3).Draw(t, "cmd"),
	}
	if rapid.Bool().Draw(t, "secrets") {
		c.Secrets = []ecstypes.Secret{{Name: aws.String("DATABASE_PASSWORD"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:1:secret:db")}}
	}
	if rapid.Bool().Draw(t, "ports") {
		c.PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(rapid.Int32Range(1, 65535).Draw(t, "port")), Protocol: ecstypes.TransportProtocolTcp}}
	}
	if rapid.Bool().Draw(t, "logs") {
		c.LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/x", "awslogs-stream-prefix": "ecs"}}
	}
	return c
}

func genTaskDefinition(t *rapid.T) *ecstypes.TaskDefinition {
	n := rapid.IntRange(1, 3).Draw(t, "containers")
	td := &ecstypes.TaskDefinition{
		Family:                  aws.String(rapid.StringMatching(`[a-z][a-z0-9-]{2,20}`).Draw(t, "family")),
		TaskDefinitionArn:       aws.String("arn:aws:ecs:us-east-1:1:task-definition/f:3"),
		Revision:                3,
		Status:                  ecstypes.TaskDefinitionStatusActive,
		RegisteredBy:            aws.String("arn:aws:iam::1:role/terraform"),
		Compatibilities:         []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		RequiresAttributes:      []ecstypes.Attribute{{Name: aws.String("ecs.capability.secrets.asm.environment-variables")}},
		Cpu:                     aws.String(rapid.SampledFrom([]string{"256", "512", "1024"}).Draw(t, "tcpu")),
		Memory:                  aws.String(rapid.SampledFrom([]string{"512", "1024", "2048"}).Draw(t, "tmem")),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::1:role/exec"),
	}
	if rapid.Bool().Draw(t, "taskRole") {
		td.TaskRoleArn = aws.String("arn:aws:iam::1:role/task")
	}
	if rapid.Bool().Draw(t, "arm") {
		td.RuntimePlatform = &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64, OperatingSystemFamily: ecstypes.OSFamilyLinux}
	}
	if rapid.Bool().Draw(t, "storage") {
		td.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: rapid.Int32Range(21, 200).Draw(t, "gib")}
	}
	for i := range n {
		td.ContainerDefinitions = append(td.ContainerDefinitions, genContainer(t, []string{"app", "sidecar", "proxy"}[i]))
	}
	return td
}

// asInput is the task definition as a RegisterTaskDefinition input would
// carry it back (the read-only fields dropped), in JSON, for comparison.
func asJSON(t *rapid.T, v any) map[string]any {
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Any valid task definition round-trips through cloneInput with only the
// target container's image and APP_VERSION changed.
func TestCloneChangesOnlyImageAndVersion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		td := genTaskDefinition(t)
		before := asJSON(t, td)
		target := aws.ToString(td.ContainerDefinitions[rapid.IntRange(0, len(td.ContainerDefinitions)-1).Draw(t, "target")].Name)
		in, err := cloneInput(td, target, "123.dkr.ecr/x@sha256:abc", "v9.8.7")
		if err != nil {
			t.Fatal(err)
		}
		if got := asJSON(t, td); !jsonEqual(got, before) {
			t.Fatalf("cloneInput modified its argument")
		}
		// Register the clone as ECS would, then compare with the original.
		back := asJSON(t, in)
		orig := asJSON(t, td)
		for _, ro := range []string{"TaskDefinitionArn", "Revision", "Status", "RegisteredAt", "RegisteredBy", "DeregisteredAt", "Compatibilities", "RequiresAttributes"} {
			delete(orig, ro)
		}
		for _, k := range []string{"Tags"} {
			delete(back, k)
		}
		oc, bc := orig["ContainerDefinitions"].([]any), back["ContainerDefinitions"].([]any)
		if len(oc) != len(bc) {
			t.Fatalf("containers %d → %d", len(oc), len(bc))
		}
		for i := range oc {
			o, b := oc[i].(map[string]any), bc[i].(map[string]any)
			if o["Name"] != target {
				continue
			}
			if b["Image"] != "123.dkr.ecr/x@sha256:abc" {
				t.Fatalf("image %v", b["Image"])
			}
			if n := countEnv(b, "APP_VERSION", "v9.8.7"); n != 1 {
				t.Fatalf("APP_VERSION=v9.8.7 appears %d times in %v", n, b["Environment"])
			}
			// Everything but those two is as it was.
			o["Image"], b["Image"] = nil, nil
			o["Environment"], b["Environment"] = dropEnv(o, "APP_VERSION"), dropEnv(b, "APP_VERSION")
		}
		for k, v := range orig {
			if _, ok := back[k]; !ok && v == nil {
				continue
			}
			if !jsonEqual(v, back[k]) {
				t.Fatalf("field %s changed: %v → %v", k, v, back[k])
			}
		}
		for k, v := range back {
			if _, ok := orig[k]; !ok && v != nil && !isZero(v) {
				t.Fatalf("field %s appeared: %v", k, v)
			}
		}
	})
}

func countEnv(c map[string]any, name, value string) int {
	n := 0
	env, _ := c["Environment"].([]any)
	for _, e := range env {
		kv := e.(map[string]any)
		if kv["Name"] == name && kv["Value"] == value {
			n++
		}
	}
	return n
}

func dropEnv(c map[string]any, name string) []any {
	out := []any{}
	env, _ := c["Environment"].([]any)
	for _, e := range env {
		if e.(map[string]any)["Name"] != name {
			out = append(out, e)
		}
	}
	return out
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func isZero(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}
