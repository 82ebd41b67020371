package localstack

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/emulated"
)

// newLoopbackServer is httptest.NewServer pinned to 127.0.0.1.
func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestFilterLogEvents(t *testing.T) {
	var calls int
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if got := r.Header.Get("X-Amz-Target"); got != "Logs_20140328.FilterLogEvents" {
			t.Errorf("X-Amz-Target = %q", got)
		}
		if got := r.Header.Get("Authorization"); !strings.HasPrefix(got, "AWS4-HMAC-SHA256 Credential=test/") || !strings.Contains(got, "/eu-west-1/logs/aws4_request") {
			t.Errorf("Authorization = %q", got)
		}
		var in struct {
			LogGroupName string `json:"logGroupName"`
			NextToken    string `json:"nextToken"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch {
		case in.LogGroupName == "/aws/lambda/missing":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`))
		case in.NextToken == "":
			w.Write([]byte(`{"events":[{"message":"START RequestId: 1\n"},{"message":"hello"}],"nextToken":"p2"}`))
		case in.NextToken == "p2":
			w.Write([]byte(`{"events":[{"message":"END RequestId: 1\n"}],"nextToken":"p2"}`))
		default:
			t.Errorf("unexpected token %q", in.NextToken)
		}
	}))
	cfg := emulated.Config(srv.URL, "eu-west-1")

	got, err := filterLogEvents(context.Background(), cfg, "/aws/lambda/fn")
	if err != nil {
		t.Fatal(err)
	}
	if want := "START RequestId: 1\nhello\nEND RequestId: 1\n"; got != want {
		t.Errorf("logs = %q, want %q", got, want)
	}
	if calls != 2 {
		t.Errorf("%d calls, want 2 (a repeated token ends paging)", calls)
	}

	_, err = filterLogEvents(context.Background(), cfg, "/aws/lambda/missing")
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "/aws/lambda/missing") {
		t.Errorf("err = %v, want ResourceNotFoundException naming the group", err)
	}
}

func TestFilterLogEventsUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	cfg := emulated.Config(url, "us-east-1")
	cfg.RetryMaxAttempts = 1
	if _, err := filterLogEvents(context.Background(), cfg, "/aws/lambda/fn"); err == nil {
		t.Error("no error from a closed port")
	}
}
