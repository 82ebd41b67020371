// Command facevec-stack is the image facevec/stack:dev runs (make image): the
// embedded AWS stand-in (S3 with notifications, Lambda running functions in
// the Lambda sandbox) on one port, 4566, with LocalStack's
// GET /_localstack/health, and facevec's function deployed and wired at
// start. It is pure Go (no dlib: the function's bootstrap does the
// encoding), so it builds static with CGO_ENABLED=0 and runs FROM scratch.
//
//	docker run -p 4566:4566 facevec/stack:dev
//	aws --endpoint-url http://localhost:4566 s3 cp photo.jpg s3://faces-in/
//	aws --endpoint-url http://localhost:4566 s3 cp s3://faces-out/encodings/faces-in/photo.jpg.json -
//
// Configuration, by environment (defaults in brackets):
//
//	STACK_ADDR            listen address [0.0.0.0:4566]
//	AWS_DEFAULT_REGION    region [us-east-1]
//	FUNCTION_ZIP          package deployed at start; "" deploys nothing [/function.zip]
//	FUNCTION_NAME         [facevec]
//	INPUT_BUCKET          [faces-in]
//	OUTPUT_BUCKET         [faces-out]
//	OUTPUT_PREFIX         [encodings/]
//	FUNCTION_MEMORY_MB    [1769]
//	FUNCTION_TIMEOUT_S    [120]
//	FUNCTION_ENV_<NAME>   the function's variable NAME (FUNCTION_ENV_DETECTOR=cnn)
//	LAMBDA_CONCURRENCY    environments per function [2]
//	EXTRA_CORS_ALLOWED_ORIGINS  web origins allowed besides local ones
//	STACK_LOG_LEVEL       DEBUG, INFO, WARN or ERROR [INFO]
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/localstack/emulated"
	"github.com/facevec/facevec/localstack/provision"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var level slog.Level
	if err := level.UnmarshalText([]byte(env("STACK_LOG_LEVEL", "INFO"))); err != nil {
		fmt.Fprintln(os.Stderr, "facevec-stack: STACK_LOG_LEVEL:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(ctx, log); err != nil {
		log.Error("facevec-stack failed", "error", err)
		os.Exit(1)
	}
}

func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) (int, error) {
	v := env(key, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number", key, v)
	}
	return n, nil
}

// config is the stack's configuration, read from the environment.
type config struct {
	addr, region, zip string
	spec              provision.Spec
	concurrency       int
	origins           []string
}

func readConfig() (config, error) {
	c := config{
		addr:   env("STACK_ADDR", "0.0.0.0:4566"),
		region: env("AWS_DEFAULT_REGION", env("AWS_REGION", "us-east-1")),
		zip:    os.Getenv("FUNCTION_ZIP"),
		spec: provision.Spec{
			FunctionName: env("FUNCTION_NAME", "facevec"),
			InputBucket:  env("INPUT_BUCKET", "faces-in"),
			OutputBucket: env("OUTPUT_BUCKET", "faces-out"),
			OutputPrefix: env("OUTPUT_PREFIX", provision.DefaultOutputPrefix),
		},
	}
	if _, set := os.LookupEnv("FUNCTION_ZIP"); !set {
		c.zip = "/function.zip"
	}
	var errs []error
	mem, err := envInt("FUNCTION_MEMORY_MB", int(provision.DefaultMemoryMB))
	errs = append(errs, err)
	timeout, err := envInt("FUNCTION_TIMEOUT_S", int(provision.DefaultTimeoutS))
	errs = append(errs, err)
	c.concurrency, err = envInt("LAMBDA_CONCURRENCY", 2)
	errs = append(errs, err)
	c.spec.MemoryMB, c.spec.TimeoutS = int32(mem), int32(timeout)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(k, "FUNCTION_ENV_"); ok && name != "" {
			if c.spec.Env == nil {
				c.spec.Env = map[string]string{}
			}
			c.spec.Env[name] = v
		}
	}
	for o := range strings.SplitSeq(os.Getenv("EXTRA_CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.origins = append(c.origins, o)
		}
	}
	return c, errors.Join(errs...)
}

func run(ctx context.Context, log *slog.Logger) error {
	c, err := readConfig()
	if err != nil {
		return err
	}
	// FROM scratch has no /tmp; the Lambda service unpacks packages there.
	if err := os.MkdirAll(os.TempDir(), 0o1777); err != nil {
		return fmt.Errorf("create %s: %w", os.TempDir(), err)
	}
	srv, err := embedded.Start(ctx, embedded.WithAddr(c.addr), embedded.WithRegion(c.region),
		embedded.WithLogger(log), embedded.WithMaxConcurrency(c.concurrency), embedded.WithAllowedOrigins(c.origins...),
		// The functions' own (JSON) lines, as LocalStack prints Lambda
		// output: `docker logs` and the harness's log fallback read them.
		embedded.WithFunctionOutput(os.Stdout),
		// Health says "initializing" until the function is deployed and
		// wired: an upload made as soon as health answers is not lost.
		embedded.WithStartingHealth())
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Warn("close", "error", err)
		}
	}()
	if c.zip != "" {
		if err := deploy(ctx, srv, c, log); err != nil {
			return err
		}
	}
	srv.Ready()
	log.Info("ready", "endpoint", srv.Endpoint(), "addr", c.addr, "region", c.region)
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

// deploy creates the buckets and the function and wires the notification,
// with the provisioner the harness and the e2e suite use.
func deploy(ctx context.Context, srv *embedded.Server, c config, log *slog.Logger) error {
	if _, err := os.Stat(c.zip); err != nil {
		return fmt.Errorf("FUNCTION_ZIP: %w", err)
	}
	c.spec.ZipPath = c.zip
	cfg := emulated.Config(srv.Endpoint(), c.region)
	s3c, lc := emulated.S3(cfg), emulated.Lambda(cfg)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := provision.Apply(dctx, s3c, lc, c.spec, provision.WithLogger(log))
	if err != nil {
		return fmt.Errorf("deploy %s: %w", c.zip, err)
	}
	log.Info("function deployed", "function", out.FunctionARN, "input_bucket", out.InputBucket,
		"output_bucket", out.OutputBucket, "output_prefix", out.OutputPrefix)
	return nil
}
