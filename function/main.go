// Command bootstrap is facevec's Lambda function (runtime provided.al2023,
// built with -tags lambda.norpc). It only wires things together: the
// configuration, the encoder (models loaded once per execution
// environment), the S3 client and the handler; all logic is in
// function/handler.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/function/handler"
)

func main() {
	log := newLogger(os.Stderr, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	// aws-lambda-go reports a failed invocation with the standard log
	// package ("2006/01/02 15:04:05 {"errorMessage":...}"); routed through
	// slog, that line is JSON like every other one.
	slog.SetDefault(log)
	h, err := setup(context.Background(), log)
	if err != nil {
		// Exiting non-zero during init makes Lambda report an init error
		// (Runtime.ExitError) with this line in the function's logs.
		log.Error("init failed", "error", err)
		os.Exit(1)
	}
	log.Info("init done", "init_ms", sinceProcessStart().Milliseconds(), "blas", dlib.CurrentBLAS().Core)
	lambda.Start(h.Invoke)
}

// setup builds the handler. The encoder lives as long as the process: an
// execution environment ends by being killed, so there is nothing to free.
func setup(ctx context.Context, log *slog.Logger) (*handler.Handler, error) {
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	// One OpenBLAS kernel set on every host, chosen before the first
	// network runs. A name this build lacks is a configuration error; a
	// set this CPU cannot run leaves OpenBLAS's own, said loudly, because
	// vectors then differ from other hosts' in the 7th digit.
	if err := dlib.UseBLAS(cfg.BLAS); errors.Is(err, dlib.ErrBLASUnknown) {
		return nil, fmt.Errorf("%s: %w", handler.EnvBLAS, err)
	} else if err != nil {
		log.Warn("blas_not_pinned", "error", err, "blas_requested", cfg.BLAS, "blas", dlib.CurrentBLAS().Core)
	}
	// Lambda gives vCPUs in proportion to memory; one dlib worker per CPU.
	enc, err := dlib.New(cfg.ModelsDir, dlib.WithWorkers(runtime.NumCPU()),
		dlib.WithPhotoThreads(lambdaCPUs(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), runtime.NumCPU())))
	if err != nil {
		return nil, fmt.Errorf("load models from %s (set %s): %w", cfg.ModelsDir, handler.EnvModels, err)
	}
	client, err := handler.NewS3Client(ctx)
	if err != nil {
		enc.Close()
		return nil, err
	}
	blas := dlib.CurrentBLAS()
	opts := []handler.Option{handler.WithLogger(log), handler.WithBLAS(blas.Core)}
	if cfg.VectorIndex != "" {
		ix, err := newVectorIndex(ctx, cfg)
		if err != nil {
			enc.Close()
			return nil, err
		}
		opts = append(opts, handler.WithVectorIndex(ix))
	}
	h, err := handler.New(cfg, enc, client, opts...)
	if err != nil {
		enc.Close()
		return nil, err
	}
	log.Info("configured",
		"output_bucket", cfg.OutputBucket, "output_prefix", cfg.OutputPrefix,
		"detector", cfg.Detector, "upsample", cfg.Upsample, "jitter", cfg.Jitter,
		"max_side", cfg.MaxSide, "max_object_bytes", cfg.MaxObjectBytes, "max_pixels", cfg.MaxPixels,
		"vector_bucket", cfg.VectorBucket, "vector_index", cfg.VectorIndex,
		"models", cfg.ModelsDir, "workers", enc.Workers(), "models_load_ms", enc.LoadTime.Milliseconds(),
		"blas", blas.Core, "blas_requested", blas.Requested)
	return h, nil
}

// lambdaCPUs is the CPU time a Lambda of memoryMB can use, in whole CPUs:
// one per 1769 MB (AWS's figure for a full vCPU), at least one, at most
// the CPUs the environment shows. Lambda shows two CPUs from 128 MB up but
// caps their time by memory, so at 1769 MB a second HOG thread would only
// share the one CPU. 0 (unknown memory) leaves the encoder's default.
func lambdaCPUs(memoryMB string, cpus int) int {
	mb, err := strconv.Atoi(memoryMB)
	if err != nil || mb <= 0 {
		return 0
	}
	return max(1, min(cpus, mb/1769))
}
