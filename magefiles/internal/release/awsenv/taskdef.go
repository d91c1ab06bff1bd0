package awsenv

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// VersionEnv is the container environment variable that tells a service
// which release it runs.
const VersionEnv = "APP_VERSION"

// cloneInput is the RegisterTaskDefinition input of a copy of td with only
// the named container's image and its APP_VERSION changed: every field
// Terraform set is kept (so Terraform's container changes reach the next
// release), the read-only ones (ARN, revision, status, registeredAt/By,
// compatibilities, requiresAttributes) are left out.
func cloneInput(td *ecstypes.TaskDefinition, container, image, version string) (*ecs.RegisterTaskDefinitionInput, error) {
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  td.Family,
		Cpu:                     td.Cpu,
		Memory:                  td.Memory,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		TaskRoleArn:             td.TaskRoleArn,
		NetworkMode:             td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities,
		RuntimePlatform:         td.RuntimePlatform,
		Volumes:                 td.Volumes,
		PlacementConstraints:    td.PlacementConstraints,
		ProxyConfiguration:      td.ProxyConfiguration,
		IpcMode:                 td.IpcMode,
		PidMode:                 td.PidMode,
		EphemeralStorage:        td.EphemeralStorage,
		EnableFaultInjection:    td.EnableFaultInjection,
		// InferenceAccelerators is left out: ECS no longer offers them.
	}
	found := false
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			found = true
			c.Image = aws.String(image)
			c.Environment = withEnv(c.Environment, VersionEnv, version)
		}
		in.ContainerDefinitions = append(in.ContainerDefinitions, c)
	}
	if !found {
		return nil, fmt.Errorf("task definition %s has no container %q", aws.ToString(td.TaskDefinitionArn), container)
	}
	return in, nil
}

// withEnv returns env with name set to value (a new slice: the caller's
// task definition is not modified).
func withEnv(env []ecstypes.KeyValuePair, name, value string) []ecstypes.KeyValuePair {
	out := make([]ecstypes.KeyValuePair, 0, len(env)+1)
	set := false
	for _, kv := range env {
		if aws.ToString(kv.Name) == name {
			if set {
				continue // a duplicate would be ambiguous: keep one
			}
			kv.Value = aws.String(value)
			set = true
		}
		out = append(out, kv)
	}
	if !set {
		out = append(out, ecstypes.KeyValuePair{Name: aws.String(name), Value: aws.String(value)})
	}
	return out
}

// containerOf returns the named container's image and APP_VERSION.
func containerOf(td *ecstypes.TaskDefinition, container string) (image, version string, ok bool) {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != container {
			continue
		}
		for _, kv := range c.Environment {
			if aws.ToString(kv.Name) == VersionEnv {
				version = aws.ToString(kv.Value)
			}
		}
		return aws.ToString(c.Image), version, true
	}
	return "", "", false
}
