package lifecycle

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// stsServer answers GetCallerIdentity the way STS does (query protocol,
// XML), for the real SDK client.
func stsServer(t *testing.T, account string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "Action=GetCallerIdentity") || !strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			http.Error(w, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:sts::`+account+`:assumed-role/deploy/ci</Arn><UserId>AROA:ci</UserId><Account>`+account+`</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestSTSCallerAgainstWrongAccount(t *testing.T) {
	srv := stsServer(t, "999999999999")
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	c := NewSTSCaller(cfg, srv.URL)
	id, err := c.Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != "999999999999" || id.Region != "us-west-2" || id.ARN != "arn:aws:sts::999999999999:assumed-role/deploy/ci" {
		t.Fatalf("identity = %+v", id)
	}
	tf := &planStub{}
	var out bytes.Buffer
	e := &Env{Name: "dev", Vars: &Vars{Env: "dev", Region: "us-west-2", Account: "123456789012"}, Caller: c, TF: tf, Out: &out}
	_, err = e.Plan(context.Background(), PlanOptions{})
	if err == nil || err.Error() != "dev: the AWS credentials are of account 999999999999 (arn:aws:sts::999999999999:assumed-role/deploy/ci), dev lives in 123456789012 (terraform/envs/dev): use the environment's credentials" {
		t.Fatalf("err = %v", err)
	}
}
