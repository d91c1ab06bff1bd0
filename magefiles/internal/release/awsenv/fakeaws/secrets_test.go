package fakeaws_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Secrets Manager through the real SDK client: a secret Terraform created
// without a value has no AWSCURRENT version; PutSecretValue stages the new
// version AWSCURRENT and the one it replaces AWSPREVIOUS.
func TestSecretsManagerVersionStages(t *testing.T) {
	f := start(t)
	arn := f.CreateSecret("equiptrack-dev/jwt-signing-key")
	c := secretsmanager.NewFromConfig(cfg(f, "us-east-1"))
	ctx := context.Background()

	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("equiptrack-dev/jwt-signing-key")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" {
		t.Fatalf("no value yet: %v, want ResourceNotFoundException for AWSCURRENT", err)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("equiptrack-dev/other")})
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret." {
		t.Fatalf("no secret: %v", err)
	}
	d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil || aws.ToString(d.Name) != "equiptrack-dev/jwt-signing-key" || len(d.VersionIdsToStages) != 0 {
		t.Fatalf("describe: %+v, %v", d, err)
	}

	p1, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("equiptrack-dev/jwt-signing-key"), SecretString: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil || aws.ToString(got.SecretString) != "second" || aws.ToString(got.VersionId) != aws.ToString(p2.VersionId) {
		t.Fatalf("current: %v %v", got, err)
	}
	prev, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.SecretString) != "first" || aws.ToString(prev.VersionId) != aws.ToString(p1.VersionId) {
		t.Fatalf("previous: %v %v", prev, err)
	}
	// A third put: the first version loses every label.
	if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("third")}); err != nil {
		t.Fatal(err)
	}
	vs := f.SecretVersions("equiptrack-dev/jwt-signing-key")
	if len(vs) != 3 || vs[0].Value != "first" || len(vs[0].Stages) != 0 || strings.Join(vs[1].Stages, ",") != "AWSPREVIOUS" || strings.Join(vs[2].Stages, ",") != "AWSCURRENT" {
		t.Fatalf("versions %+v", vs)
	}
	d, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil || len(d.VersionIdsToStages) != 2 || strings.Join(d.VersionIdsToStages[vs[2].ID], ",") != "AWSCURRENT" {
		t.Fatalf("describe after puts: %+v, %v", d.VersionIdsToStages, err)
	}

	f.ScheduleSecretDeletion("equiptrack-dev/jwt-signing-key")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("fourth")})
	var inv *smtypes.InvalidRequestException
	if !errors.As(err, &inv) {
		t.Fatalf("put on a secret scheduled for deletion: %v", err)
	}
}

// GetRandomPassword honours the length, the excluded characters and
// punctuation, and requires each included type unless told otherwise.
func TestGetRandomPassword(t *testing.T) {
	f := start(t)
	c := secretsmanager.NewFromConfig(cfg(f, "us-east-1"))
	ctx := context.Background()
	get := func(in *secretsmanager.GetRandomPasswordInput) string {
		t.Helper()
		out, err := c.GetRandomPassword(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.RandomPassword)
	}
	const upper, lower, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
	if pw := get(&secretsmanager.GetRandomPasswordInput{}); len(pw) != 32 {
		t.Errorf("default length %d, want 32", len(pw))
	}
	for range 50 {
		pw := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(24), ExcludeCharacters: aws.String("\"'`\\/@ "), RequireEachIncludedType: aws.Bool(true)})
		if len(pw) != 24 || strings.ContainsAny(pw, "\"'`\\/@ ") {
			t.Fatalf("%q: want 24 characters without \"'`\\/@ and space", pw)
		}
		for _, set := range []string{upper, lower, digits, "!#$%&()*+,-.:;<=>?[]^_{|}~"} {
			if !strings.ContainsAny(pw, set) {
				t.Fatalf("%q lacks one of %q", pw, set)
			}
		}
		pw = get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(64), ExcludePunctuation: aws.Bool(true), RequireEachIncludedType: aws.Bool(false)})
		if len(pw) != 64 || strings.Trim(pw, upper+lower+digits) != "" {
			t.Fatalf("%q: want 64 letters and digits", pw)
		}
	}
	_, err := c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(3), RequireEachIncludedType: aws.Bool(true)})
	var bad *smtypes.InvalidParameterException
	if !errors.As(err, &bad) {
		t.Errorf("3 characters for 4 required types: %v, want InvalidParameterException", err)
	}
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)})
	if !errors.As(err, &bad) {
		t.Errorf("4097 characters: %v, want InvalidParameterException", err)
	}
}
