package stssvc

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestGetCallerIdentity(t *testing.T) {
	srv := httptest.NewServer(New("000000000000"))
	defer srv.Close()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "000000000000" || aws.ToString(out.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(out.UserId) != "000000000000" {
		t.Fatalf("identity %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}
	_, err = c.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" {
		t.Fatalf("GetSessionToken: %v, want InvalidAction", err)
	}
}
