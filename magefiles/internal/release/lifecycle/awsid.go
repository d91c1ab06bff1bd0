package lifecycle

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsAPI is the one STS call the lifecycle makes.
type stsAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// STSCaller is the Caller of the targets: STS GetCallerIdentity with the
// credentials and region of an aws.Config. It needs nothing Terraform
// created (unlike the release facts in SSM), so it also guards the first
// `up` of an empty account.
type STSCaller struct {
	api    stsAPI
	region string
}

// NewSTSCaller builds the STS client; endpoint, when set, is its
// BaseEndpoint (a fake AWS in tests).
func NewSTSCaller(cfg aws.Config, endpoint string) *STSCaller {
	c := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &STSCaller{api: c, region: cfg.Region}
}

// Identity implements Caller.
func (c *STSCaller) Identity(ctx context.Context) (Identity, error) {
	out, err := c.api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Region: c.region}, nil
}
