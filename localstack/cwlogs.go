package localstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxLogPages bounds how much FunctionLogs pulls from CloudWatch Logs.
const maxLogPages = 20

// filterLogEvents reads every event of a CloudWatch Logs group through the
// FilterLogEvents JSON API, signed with SigV4. It speaks the protocol
// directly because the harness needs this one call and the cloudwatchlogs
// SDK module is not a dependency of the project.
func filterLogEvents(ctx context.Context, hc *http.Client, endpoint, region string, creds aws.CredentialsProvider, group string) (string, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	if creds == nil {
		return "", fmt.Errorf("logs %s: no credentials", group)
	}
	c, err := creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("logs %s: credentials: %w", group, err)
	}
	var out strings.Builder
	next := ""
	for page := 0; page < maxLogPages; page++ {
		in := map[string]any{"logGroupName": group}
		if next != "" {
			in["nextToken"] = next
		}
		body, err := json.Marshal(in)
		if err != nil {
			return "", err
		}
		var resp struct {
			Events []struct {
				Message string `json:"message"`
			} `json:"events"`
			NextToken string `json:"nextToken"`
		}
		if err := logsCall(ctx, hc, endpoint, region, c, "FilterLogEvents", body, &resp); err != nil {
			return "", fmt.Errorf("logs %s: %w", group, err)
		}
		for _, e := range resp.Events {
			out.WriteString(e.Message)
			if !strings.HasSuffix(e.Message, "\n") {
				out.WriteByte('\n')
			}
		}
		// A repeated token means "no more for now" on a live group.
		if resp.NextToken == "" || resp.NextToken == next {
			break
		}
		next = resp.NextToken
	}
	return out.String(), nil
}

// logsCall performs one awsJson1_1 call against the Logs service.
func logsCall(ctx context.Context, hc *http.Client, endpoint, region string, creds aws.Credentials, op string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "logs", region, time.Now()); err != nil {
		return fmt.Errorf("sign %s: %w", op, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		if e.Type != "" {
			return fmt.Errorf("%s: HTTP %d: %s: %s", op, resp.StatusCode, e.Type, e.Message)
		}
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, oneLine(string(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", op, err)
	}
	return nil
}
