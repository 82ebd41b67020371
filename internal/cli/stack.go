package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/localstack/emulated"
	"github.com/facevec/facevec/localstack/provision"
)

// stackFlags are the deployment settings shared by stack and demo.
type stackFlags struct {
	addr, input, output, prefix, zip, function string
	origins                                    string
	concurrency                                int
	verbose                                    bool
	// vectorBucket and vectorIndex name the faces' S3 Vectors index;
	// an empty --vector-index turns it off.
	vectorBucket, vectorIndex string
}

func (f *stackFlags) register(fs *flag.FlagSet, defaultAddr string) {
	fs.StringVar(&f.addr, "addr", defaultAddr, "listen address of the embedded stack (loopback by default: it has no authentication)")
	fs.StringVar(&f.input, "input-bucket", "faces-in", "bucket that receives photos")
	fs.StringVar(&f.output, "output-bucket", "faces-out", "bucket that receives results")
	fs.StringVar(&f.prefix, "output-prefix", provision.DefaultOutputPrefix, "prefix of result keys")
	fs.StringVar(&f.zip, "zip", filepath.Join("dist", "function.zip"), "function package (make package)")
	fs.StringVar(&f.function, "function", "facevec", "function name")
	fs.IntVar(&f.concurrency, "concurrency", 2, "concurrent function environments (1 or more)")
	fs.StringVar(&f.origins, "allow-origin", os.Getenv(envAllowOrigins),
		"comma-separated web origins (https://app.example) that may call the stack from a browser; local pages always may (env "+envAllowOrigins+")")
	fs.BoolVar(&f.verbose, "v", false, "log the stack's requests and the function's output")
	fs.StringVar(&f.vectorBucket, "vector-bucket", "faces-vectors", "S3 Vectors bucket of the face index")
	fs.StringVar(&f.vectorIndex, "vector-index", "faces", "S3 Vectors index every face is written to (\"\" turns indexing off)")
}

// envAllowOrigins is LocalStack's name for the same setting.
const envAllowOrigins = "EXTRA_CORS_ALLOWED_ORIGINS"

// check refuses settings the stack cannot honour, before anything starts.
func (f *stackFlags) check(stdio IO, fs *flag.FlagSet) error {
	if f.concurrency < 1 {
		return usageErr(stdio, fs, "--concurrency %d: want 1 or more", f.concurrency)
	}
	return nil
}

func (f *stackFlags) originList() []string {
	var out []string
	for o := range strings.SplitSeq(f.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (f *stackFlags) spec() provision.Spec {
	return provision.Spec{
		InputBucket:  f.input,
		OutputBucket: f.output,
		OutputPrefix: f.prefix,
		FunctionName: f.function,
		ZipPath:      f.zip,
		VectorBucket: f.vectorBucketName(),
		VectorIndex:  f.vectorIndex,
	}
}

// embeddedStack is the in-process stand-in with the clients the CLI uses.
// The CLI links only this backend: never testcontainers or Docker.
type embeddedStack struct {
	*embedded.Server
	s3c *s3.Client
	lc  *lambda.Client
	vc  *s3vectors.Client
}

func (st *embeddedStack) S3() *s3.Client               { return st.s3c }
func (st *embeddedStack) Lambda() *lambda.Client       { return st.lc }
func (st *embeddedStack) S3Vectors() *s3vectors.Client { return st.vc }

// FunctionLogs is what the named function printed so far.
func (st *embeddedStack) FunctionLogs(function string) string {
	return st.Server.Lambda().Logs(function)
}

// vectorBucketName is the vector bucket, "" when indexing is off.
func (f *stackFlags) vectorBucketName() string {
	if f.vectorIndex == "" {
		return ""
	}
	return f.vectorBucket
}

// up starts the embedded stack and deploys the function with the same
// provisioner the e2e suite and real AWS deployments use.
func (f *stackFlags) up(ctx context.Context, stdio IO) (*embeddedStack, *provision.Outputs, error) {
	if _, err := os.Stat(f.zip); err != nil {
		return nil, nil, fmt.Errorf("function package %s: %w (run `make package`)", f.zip, err)
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(stdio.Stderr, &slog.HandlerOptions{Level: level}))
	opts := []embedded.Option{embedded.WithAddr(f.addr), embedded.WithLogger(logger),
		embedded.WithAllowedOrigins(f.originList()...)}
	if f.concurrency > 0 {
		opts = append(opts, embedded.WithMaxConcurrency(f.concurrency))
	}
	if r := cmp.Or(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")); r != "" {
		opts = append(opts, embedded.WithRegion(r))
	}
	srv, err := embedded.Start(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded stack on %s: %w", f.addr, err)
	}
	cfg := emulated.Config(srv.Endpoint(), srv.Region())
	st := &embeddedStack{Server: srv, s3c: emulated.S3(cfg), lc: emulated.Lambda(cfg), vc: emulated.S3Vectors(cfg)}
	out, err := provision.Apply(ctx, st.S3(), st.Lambda(), f.spec(), provision.WithLogger(logger), provision.WithVectors(st.S3Vectors()))
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("deploy: %w", err)
	}
	return st, out, nil
}

func runStack(ctx context.Context, args []string, stdio IO) (int, error) {
	var f stackFlags
	fs := newFlags("stack", "[flags]", stdio)
	f.register(fs, "127.0.0.1:4566")
	rest, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		return 0, usageErr(stdio, fs, "unexpected arguments %q", rest)
	}
	if err := f.check(stdio, fs); err != nil {
		return 0, err
	}
	st, out, err := f.up(ctx, stdio)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	fmt.Fprintf(stdio.Stdout, "endpoint: %s\nregion: %s\ninput bucket: %s\noutput bucket: %s\noutput prefix: %s\nfunction: %s\n",
		st.Endpoint(), st.Region(), out.InputBucket, out.OutputBucket, out.OutputPrefix, out.FunctionARN)
	fmt.Fprintf(stdio.Stdout, "\ntry:\n  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s\n"+
		"  aws --endpoint-url %s s3 cp photo.jpg s3://%s/\n"+
		"  aws --endpoint-url %s s3 cp s3://%s/%s%s/photo.jpg.json -\n",
		st.Region(), st.Endpoint(), out.InputBucket, st.Endpoint(), out.OutputBucket, out.OutputPrefix, out.InputBucket)
	if out.VectorIndex != "" {
		fmt.Fprintf(stdio.Stdout, "vector index: %s/%s\n\nsearch:\n  export AWS_ENDPOINT_URL=%s %s=%s %s=%s\n  facevec search photo.jpg\n\nready; Ctrl-C stops\n",
			out.VectorBucket, out.VectorIndex, st.Endpoint(), handler.EnvVectorBucket, out.VectorBucket, handler.EnvVectorIndex, out.VectorIndex)
	} else {
		fmt.Fprintln(stdio.Stdout, "\nready; Ctrl-C stops")
	}
	if fl, ok := stdio.Stdout.(interface{ Sync() error }); ok {
		fl.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stdio.Stderr, "stack: stopping")
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		return ExitOK, err
	case <-time.After(30 * time.Second):
		return ExitError, fmt.Errorf("stack did not stop within 30s")
	}
}
