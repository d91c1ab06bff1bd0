package fakeaws

import (
	"crypto/rand"
	"math/big"
	"sort"
	"strings"
	"time"
)

// Secrets Manager as documented
// (docs.aws.amazon.com/secretsmanager/latest/apireference): a secret is
// created with or without a value; GetSecretValue of a secret that has no
// version staged AWSCURRENT is ResourceNotFoundException ("can't find the
// specified secret value for staging label: AWSCURRENT"); PutSecretValue
// adds a version staged AWSCURRENT and moves AWSPREVIOUS to the version
// that was current; its ClientRequestToken (filled in by the SDK) is the
// version ID and makes a repeated put idempotent; GetRandomPassword
// generates a password from upper and lower case letters, digits and
// punctuation (space only with IncludeSpace), 32 long unless told,
// at least one of each included type unless RequireEachIncludedType=false.

type secretVersion struct {
	id      string
	value   string
	stages  []string
	created time.Time
}

type secret struct {
	name, arn, description string
	created                time.Time
	deleted                *time.Time
	versions               []*secretVersion
}

func (s *secret) byStage(stage string) *secretVersion {
	for _, v := range s.versions {
		for _, st := range v.stages {
			if st == stage {
				return v
			}
		}
	}
	return nil
}

func (s *secret) byID(id string) *secretVersion {
	for _, v := range s.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

type secretsState struct {
	byName map[string]*secret
}

func newSecrets() *secretsState { return &secretsState{byName: map[string]*secret{}} }

// lookup finds a secret by name or by its full ARN.
func (s *secretsState) lookup(id string) *secret {
	if sc := s.byName[id]; sc != nil {
		return sc
	}
	for _, sc := range s.byName {
		if sc.arn == id {
			return sc
		}
	}
	return nil
}

const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func (f *Fake) secretsOp(rg *region, op string, body []byte) (any, error) {
	// ECS goes on meanwhile: a service whose tasks need a secret being set
	// here keeps failing to start until it has a value.
	f.advance(rg)
	s := rg.secrets
	var in struct {
		Name, Description, SecretString, SecretId, VersionId, VersionStage, ClientRequestToken string
		VersionStages                                                                          []string
		PasswordLength                                                                         *int64
		ExcludeCharacters                                                                      string
		ExcludeNumbers, ExcludePunctuation, ExcludeUppercase, ExcludeLowercase, IncludeSpace   bool
		RequireEachIncludedType                                                                *bool
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	notFound := func() error {
		return clientErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	now := f.Clock.Now()
	switch op {
	case "CreateSecret":
		if in.Name == "" {
			return nil, clientErr("InvalidParameterException", "Name is required")
		}
		if s.byName[in.Name] != nil {
			return nil, clientErr("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
		}
		sc := &secret{name: in.Name, description: in.Description, created: now, arn: f.arn(rg, "secretsmanager", "secret:"+in.Name+"-"+randomAlnum(6))}
		s.byName[in.Name] = sc
		out := map[string]any{"ARN": sc.arn, "Name": sc.name}
		if in.SecretString != "" {
			v := sc.put(in.ClientRequestToken, in.SecretString, nil, now)
			out["VersionId"] = v.id
		}
		return out, nil
	case "DescribeSecret":
		sc := s.lookup(in.SecretId)
		if sc == nil {
			return nil, notFound()
		}
		stages := map[string]any{}
		for _, v := range sc.versions {
			if len(v.stages) > 0 {
				stages[v.id] = v.stages
			}
		}
		out := map[string]any{"ARN": sc.arn, "Name": sc.name, "CreatedDate": epoch(sc.created), "VersionIdsToStages": stages}
		if sc.description != "" {
			out["Description"] = sc.description
		}
		if sc.deleted != nil {
			out["DeletedDate"] = epoch(*sc.deleted)
		}
		return out, nil
	case "GetSecretValue":
		sc := s.lookup(in.SecretId)
		if sc == nil {
			return nil, notFound()
		}
		if sc.deleted != nil {
			return nil, clientErr("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
		}
		var v *secretVersion
		switch {
		case in.VersionId != "":
			v = sc.byID(in.VersionId)
			if v == nil || (in.VersionStage != "" && !contains(v.stages, in.VersionStage)) {
				return nil, clientErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", in.VersionId)
			}
		default:
			stage := in.VersionStage
			if stage == "" {
				stage = "AWSCURRENT"
			}
			if v = sc.byStage(stage); v == nil {
				return nil, clientErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
			}
		}
		return map[string]any{"ARN": sc.arn, "Name": sc.name, "VersionId": v.id, "SecretString": v.value,
			"VersionStages": v.stages, "CreatedDate": epoch(v.created)}, nil
	case "PutSecretValue":
		sc := s.lookup(in.SecretId)
		if sc == nil {
			return nil, notFound()
		}
		if sc.deleted != nil {
			return nil, clientErr("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
		}
		if in.SecretString == "" {
			return nil, clientErr("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
		}
		if old := sc.byID(in.ClientRequestToken); old != nil && in.ClientRequestToken != "" {
			if old.value != in.SecretString {
				return nil, clientErr("ResourceExistsException", "A version with this ClientRequestToken already exists with a different value.")
			}
			return map[string]any{"ARN": sc.arn, "Name": sc.name, "VersionId": old.id, "VersionStages": old.stages}, nil
		}
		v := sc.put(in.ClientRequestToken, in.SecretString, in.VersionStages, now)
		return map[string]any{"ARN": sc.arn, "Name": sc.name, "VersionId": v.id, "VersionStages": v.stages}, nil
	case "GetRandomPassword":
		pw, err := randomPassword(in.PasswordLength, in.ExcludeCharacters, in.ExcludeNumbers, in.ExcludePunctuation,
			in.ExcludeUppercase, in.ExcludeLowercase, in.IncludeSpace, in.RequireEachIncludedType == nil || *in.RequireEachIncludedType)
		if err != nil {
			return nil, err
		}
		return map[string]any{"RandomPassword": pw}, nil
	}
	return nil, clientErr("UnknownOperationException", "secretsmanager:%s is not modelled", op)
}

// put adds a version; staged AWSCURRENT (the default), it moves
// AWSPREVIOUS to the version that was current.
func (sc *secret) put(token, value string, stages []string, now time.Time) *secretVersion {
	if token == "" {
		token = randomUUID()
	}
	if len(stages) == 0 {
		stages = []string{"AWSCURRENT"}
	}
	for _, st := range stages {
		if st == "AWSCURRENT" {
			if cur := sc.byStage("AWSCURRENT"); cur != nil {
				for _, v := range sc.versions {
					v.stages = without(v.stages, "AWSPREVIOUS")
				}
				cur.stages = append(without(cur.stages, "AWSCURRENT"), "AWSPREVIOUS")
			}
			continue
		}
		for _, v := range sc.versions {
			v.stages = without(v.stages, st)
		}
	}
	v := &secretVersion{id: token, value: value, stages: append([]string(nil), stages...), created: now}
	sc.versions = append(sc.versions, v)
	return v
}

func without(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func randomPassword(length *int64, exclude string, noNumbers, noPunct, noUpper, noLower, space, requireEach bool) (string, error) {
	n := int64(32)
	if length != nil {
		n = *length
	}
	if n < 1 || n > 4096 {
		return "", clientErr("InvalidParameterException", "PasswordLength must be between 1 and 4096.")
	}
	keep := func(set string) string {
		var b strings.Builder
		for _, r := range set {
			if !strings.ContainsRune(exclude, r) {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	var sets []string
	for _, s := range []struct {
		set  string
		skip bool
	}{
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", noUpper}, {"abcdefghijklmnopqrstuvwxyz", noLower}, {"0123456789", noNumbers},
		{punctuation, noPunct}, {" ", !space},
	} {
		if k := keep(s.set); !s.skip && k != "" {
			sets = append(sets, k)
		}
	}
	if len(sets) == 0 {
		return "", clientErr("InvalidParameterException", "The password policy excludes every character.")
	}
	if requireEach && int64(len(sets)) > n {
		return "", clientErr("InvalidParameterException", "PasswordLength %d is too short to include each of the %d included character types.", n, len(sets))
	}
	all := strings.Join(sets, "")
	out := make([]byte, 0, n)
	if requireEach {
		for _, s := range sets {
			out = append(out, s[randInt(len(s))])
		}
	}
	for int64(len(out)) < n {
		out = append(out, all[randInt(len(all))])
	}
	// Shuffle, so the required characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j := randInt(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

func randomAlnum(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[randInt(len(set))]
	}
	return string(b)
}

func randomUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// CreateSecret creates a secret without a value in the default region, as
// Terraform's aws_secretsmanager_secret does, and returns its ARN.
func (f *Fake) CreateSecret(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rg := f.regionState(f.o.Region)
	if sc := rg.secrets.byName[name]; sc != nil {
		return sc.arn
	}
	sc := &secret{name: name, created: f.Clock.Now(), arn: f.arn(rg, "secretsmanager", "secret:"+name+"-"+randomAlnum(6))}
	rg.secrets.byName[name] = sc
	return sc.arn
}

// SecretVersion is one version of a secret as the fake holds it.
type SecretVersion struct {
	ID     string
	Value  string
	Stages []string
}

// SecretVersions returns a secret's versions in the default region, oldest
// first (nil when the secret does not exist). Tests read values here
// rather than through the code under test.
func (f *Fake) SecretVersions(name string) []SecretVersion {
	f.mu.Lock()
	defer f.mu.Unlock()
	sc := f.regionState(f.o.Region).secrets.byName[name]
	if sc == nil {
		return nil
	}
	var out []SecretVersion
	for _, v := range sc.versions {
		st := append([]string(nil), v.stages...)
		sort.Strings(st)
		out = append(out, SecretVersion{ID: v.id, Value: v.value, Stages: st})
	}
	return out
}

// ScheduleSecretDeletion marks a secret as scheduled for deletion (what
// DeleteSecret with a recovery window leaves).
func (f *Fake) ScheduleSecretDeletion(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sc := f.regionState(f.o.Region).secrets.byName[name]; sc != nil {
		now := f.Clock.Now()
		sc.deleted = &now
	}
}

// missing names a secret a task definition references (a container's
// secrets[].valueFrom: the secret's ARN, or ARN:json-key:stage:version)
// that exists in this fake without a current value.
func (s *secretsState) missing(td map[string]any) (string, bool) {
	cds, _ := td["containerDefinitions"].([]any)
	for _, cd := range cds {
		refs, _ := cd.(map[string]any)["secrets"].([]any)
		for _, ref := range refs {
			from, _ := ref.(map[string]any)["valueFrom"].(string)
			for _, sc := range s.byName {
				if (from == sc.arn || strings.HasPrefix(from, sc.arn+":")) && sc.byStage("AWSCURRENT") == nil {
					return sc.name, true
				}
			}
		}
	}
	return "", false
}

// PutSecretValue seeds a value as a secret's AWSCURRENT version in the
// default region (the secret is created when missing).
func (f *Fake) PutSecretValue(name, value string) {
	f.CreateSecret(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regionState(f.o.Region).secrets.byName[name].put("", value, nil, f.Clock.Now())
}
