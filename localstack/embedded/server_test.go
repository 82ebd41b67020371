package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack/embedded/s3svc"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func startServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := Start(ctx, append([]Option{WithLogger(testLogger(t)), WithWorkDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func clients(srv *Server) (*s3.Client, *lambda.Client) {
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
	return s3.New(s3.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true, Credentials: creds}),
		lambda.New(lambda.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), Credentials: creds})
}

func TestStartServesBothServices(t *testing.T) {
	srv := startServer(t, WithRegion("eu-west-1"))
	if !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") || srv.Endpoint() == "http://127.0.0.1:0" {
		t.Fatalf("Endpoint = %q, want http://127.0.0.1:<port>", srv.Endpoint())
	}
	if srv.Region() != "eu-west-1" || srv.S3().Region() != "eu-west-1" {
		t.Fatalf("Region = %q, S3 region %q", srv.Region(), srv.S3().Region())
	}
	if srv.Lambda() == nil {
		t.Fatal("Lambda() is nil")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s3c, lc := clients(srv)

	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("a b.txt"), Body: strings.NewReader("hi")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("a b.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "hi" {
		t.Fatalf("GetObject = %q", body)
	}
	// The code fetcher handed to Lambda reads the same store.
	if b, err := srv.S3().ReadObject(ctx, "photos", "a b.txt"); err != nil || string(b) != "hi" {
		t.Fatalf("ReadObject = %q, %v", b, err)
	}

	if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("ListFunctions through the shared endpoint: %v", err)
	}

	resp, err := http.Get(srv.Endpoint() + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	var h Health
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || h.Services["s3"] != "running" || h.Services["lambda"] != "running" || h.Region != "eu-west-1" {
		t.Fatalf("health = %+v, %v", h, err)
	}
}

// TestNotificationReachesLambda: an S3 event is handed to the Lambda
// service. No function exists, so Lambda refuses it and S3 counts a failed
// delivery: what matters here is that it got there.
func TestNotificationReachesLambda(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s3c, _ := clients(srv)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("photos"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
			Id: aws.String("all"), LambdaFunctionArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:nobody"),
			Events: []types.Event{"s3:ObjectCreated:*"},
		}}},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.jpg"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.S3().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := srv.S3().Stats(); st.Delivered+st.Failed != 1 || st.Pending != 0 {
		t.Fatalf("delivery stats = %+v, want the one event handed over", st)
	}
}

func TestCloseStopsListeningAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx, WithLogger(testLogger(t)), WithWorkDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.Endpoint(), "http://")
	// An idle keep-alive connection must not hold up Close.
	resp, err := http.Get(srv.Endpoint() + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Close", addr)
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		ctx  context.Context
		opts []Option
		want string
	}{
		{"address in use", context.Background(), []Option{WithAddr(busy.Addr().String())}, "listen on"},
		{"bad address", context.Background(), []Option{WithAddr("not an address")}, "listen on"},
		{"bad region", context.Background(), []Option{WithRegion("Mars")}, "invalid region"},
		{"negative concurrency", context.Background(), []Option{WithMaxConcurrency(-1)}, "WithMaxConcurrency"},
		{"cancelled context", cancelled, nil, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := Start(tt.ctx, append([]Option{WithLogger(testLogger(t))}, tt.opts...)...)
			if err == nil {
				srv.Close()
				t.Fatalf("Start succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestEndpointFor(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4566}, "http://127.0.0.1:4566"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 4566}, "http://127.0.0.1:4566"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, "http://127.0.0.1:80"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, "http://[::1]:80"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 9}, "http://10.1.2.3:9"},
	}
	for _, tt := range tests {
		if got, err := endpointFor(tt.addr); err != nil || got != tt.want {
			t.Errorf("endpointFor(%v) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
	if _, err := endpointFor(&net.UnixAddr{Name: "/tmp/x", Net: "unix"}); err == nil {
		t.Error("endpointFor(unix) succeeded")
	}
}

func TestFaultsReachS3(t *testing.T) {
	faults := &s3svc.Faults{}
	srv := startServer(t, WithFaults(faults))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s3c, _ := clients(srv)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if err := faults.Add(s3svc.Fault{Op: s3svc.OpPutObject, Times: 1, SlowDown: true}); err != nil {
		t.Fatal(err)
	}
	// The SDK's default retryer rides out one SlowDown.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if faults.Injected() != 1 {
		t.Fatalf("Injected = %d, want 1", faults.Injected())
	}
}

// TestStalledUploadIsCut: a client that sends an upload's headers and part
// of its body, then nothing, loses the connection after the slow-client
// timeout instead of holding it (and the stack's goroutine) forever.
func TestStalledUploadIsCut(t *testing.T) {
	srv := startServer(t, WithSlowClientTimeout(300*time.Millisecond))
	c, _ := clients(srv)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.Endpoint(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "PUT /photos/a.jpg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\njpeg"); err != nil {
		t.Fatal(err)
	}
	// Generous for a loaded machine; without a limit it never closes.
	const patience = 10 * time.Second
	_ = conn.SetReadDeadline(time.Now().Add(patience))
	answer, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a stalled upload still holds its connection after %v", patience)
	}
	if strings.Contains(string(answer), "200 OK") {
		t.Errorf("a truncated upload was stored: %q", answer)
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.jpg")}); err == nil {
		t.Error("the truncated upload was stored")
	}
}
