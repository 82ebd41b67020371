package provision

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// waitTimeout bounds every waiter; the caller's context can cut it shorter.
const waitTimeout = 5 * time.Minute

// functionResult is what ensureFunction reports back to Apply.
type functionResult struct {
	conf    *types.FunctionConfiguration
	changes []string
}

// ensureFunction creates the function or brings it in line with the spec:
// new code only when the zip's hash differs from CodeSha256, new
// configuration only when a field differs. It waits until the function is
// Active and its last update Successful before returning.
func ensureFunction(ctx context.Context, s3c *s3.Client, lc *lambda.Client, spec Spec, p *pkg, log *slog.Logger) (*functionResult, error) {
	name := aws.String(spec.FunctionName)
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("get function %s: %w", spec.FunctionName, err)
	}
	res := &functionResult{}
	staged := ""
	defer func() {
		// Lambda copies the code at create/update time; the staged object
		// is clutter from then on.
		if staged != "" {
			if _, err := s3c.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{
				Bucket: aws.String(spec.CodeBucket), Key: aws.String(staged),
			}); err != nil {
				log.Warn("provision: could not delete staged package", "bucket", spec.CodeBucket, "key", staged, "err", err)
			}
		}
	}()

	if got == nil { // not found: create
		if staged, err = stage(ctx, s3c, spec.CodeBucket, spec.FunctionName, p); err != nil {
			return nil, err
		}
		if err := createFunction(ctx, lc, spec, staged); err != nil {
			return nil, err
		}
		res.changes = append(res.changes, "created function "+spec.FunctionName)
		if err := waitActive(ctx, lc, spec.FunctionName); err != nil {
			return nil, err
		}
		return res, res.refresh(ctx, lc, spec.FunctionName)
	}

	conf := got.Configuration
	if conf == nil {
		return nil, fmt.Errorf("get function %s: response has no configuration", spec.FunctionName)
	}
	// A previous deploy may still be settling; updating now would fail with
	// ResourceConflictException.
	if conf.State == types.StatePending {
		if err := waitActive(ctx, lc, spec.FunctionName); err != nil {
			return nil, err
		}
	}
	if conf.LastUpdateStatus == types.LastUpdateStatusInProgress {
		if err := waitUpdated(ctx, lc, spec.FunctionName); err != nil {
			return nil, err
		}
	}

	archDiffers := !sameArch(conf.Architectures, spec.Architecture)
	if aws.ToString(conf.CodeSha256) != p.sha256 || archDiffers {
		if staged, err = stage(ctx, s3c, spec.CodeBucket, spec.FunctionName, p); err != nil {
			return nil, err
		}
		if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
			FunctionName:  name,
			S3Bucket:      aws.String(spec.CodeBucket),
			S3Key:         aws.String(staged),
			Architectures: []types.Architecture{types.Architecture(spec.Architecture)},
		}); err != nil {
			return nil, fmt.Errorf("update code of %s: %w", spec.FunctionName, err)
		}
		res.changes = append(res.changes, fmt.Sprintf("updated code of %s (sha256 %s -> %s)", spec.FunctionName, aws.ToString(conf.CodeSha256), p.sha256))
		if err := waitUpdated(ctx, lc, spec.FunctionName); err != nil {
			return nil, err
		}
	}

	if diff := configDiff(conf, spec); len(diff) > 0 {
		if err := retryRole(ctx, func() error {
			_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
				FunctionName: name,
				Runtime:      types.Runtime(Runtime),
				Handler:      aws.String(Handler),
				Role:         aws.String(spec.RoleARN),
				MemorySize:   aws.Int32(spec.MemoryMB),
				Timeout:      aws.Int32(spec.TimeoutS),
				Environment:  &types.Environment{Variables: spec.env()},
			})
			return err
		}); err != nil {
			return nil, fmt.Errorf("update configuration of %s: %w", spec.FunctionName, err)
		}
		res.changes = append(res.changes, "updated configuration of "+spec.FunctionName+": "+strings.Join(diff, ", "))
		if err := waitUpdated(ctx, lc, spec.FunctionName); err != nil {
			return nil, err
		}
	}
	if len(res.changes) == 0 {
		res.conf = conf
		return res, nil
	}
	return res, res.refresh(ctx, lc, spec.FunctionName)
}

// refresh re-reads the configuration after a change, for Outputs.
func (r *functionResult) refresh(ctx context.Context, lc *lambda.Client, name string) error {
	out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("get function %s: %w", name, err)
	}
	if out.Configuration == nil {
		return fmt.Errorf("get function %s: response has no configuration", name)
	}
	r.conf = out.Configuration
	return nil
}

func createFunction(ctx context.Context, lc *lambda.Client, spec Spec, key string) error {
	in := &lambda.CreateFunctionInput{
		FunctionName:  aws.String(spec.FunctionName),
		Runtime:       types.Runtime(Runtime),
		Handler:       aws.String(Handler),
		Architectures: []types.Architecture{types.Architecture(spec.Architecture)},
		Role:          aws.String(spec.RoleARN),
		MemorySize:    aws.Int32(spec.MemoryMB),
		Timeout:       aws.Int32(spec.TimeoutS),
		Environment:   &types.Environment{Variables: spec.env()},
		PackageType:   types.PackageTypeZip,
		Code:          &types.FunctionCode{S3Bucket: aws.String(spec.CodeBucket), S3Key: aws.String(key)},
		Description:   aws.String("facevec: face descriptors for images uploaded to s3://" + spec.InputBucket),
		// Never publish: the function is only ever updated in place, so a
		// repeated Apply cannot pile up versions.
		Publish: false,
	}
	if err := retryRole(ctx, func() error { _, err := lc.CreateFunction(ctx, in); return err }); err != nil {
		return fmt.Errorf("create function %s: %w", spec.FunctionName, err)
	}
	return nil
}

// retryRole retries while IAM propagates a freshly created role, which on
// real AWS takes a few seconds ("The role defined for the function cannot
// be assumed by Lambda"). Emulators never return that error.
func retryRole(ctx context.Context, call func() error) error {
	delay := 2 * time.Second
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil || attempt >= 6 || !isCode(err, "InvalidParameterValueException") ||
			!strings.Contains(err.Error(), "cannot be assumed") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

func waitActive(ctx context.Context, lc *lambda.Client, name string) error {
	if err := lambda.NewFunctionActiveV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout); err != nil {
		return fmt.Errorf("wait for function %s to become Active: %w%s", name, err, failedReason(ctx, lc, name))
	}
	return nil
}

// failedReason says why a function is Failed, which the waiter's "waiter
// state transitioned to Failure" does not.
func failedReason(ctx context.Context, lc *lambda.Client, name string) string {
	out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil || out.Configuration == nil || out.Configuration.State != types.StateFailed {
		return ""
	}
	c := out.Configuration
	return fmt.Sprintf("; the function is Failed (%s: %s). On LocalStack this usually means it could not start "+
		"a Lambda container: it needs the Docker socket (-v /var/run/docker.sock:/var/run/docker.sock), which "+
		"SELinux or Docker Desktop's Enhanced Container Isolation can refuse", c.StateReasonCode, aws.ToString(c.StateReason))
}

func waitUpdated(ctx context.Context, lc *lambda.Client, name string) error {
	if err := lambda.NewFunctionUpdatedV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout); err != nil {
		return fmt.Errorf("wait for update of function %s: %w", name, err)
	}
	return nil
}

// sameArch treats an empty list as x86_64, Lambda's default, because some
// emulators leave the field out.
func sameArch(got []types.Architecture, want string) bool {
	if len(got) == 0 {
		return want == string(types.ArchitectureX8664)
	}
	return len(got) == 1 && string(got[0]) == want
}

// configDiff lists the configuration fields that differ from the spec.
func configDiff(c *types.FunctionConfiguration, spec Spec) []string {
	var diff []string
	if string(c.Runtime) != Runtime {
		diff = append(diff, fmt.Sprintf("runtime %s -> %s", c.Runtime, Runtime))
	}
	if aws.ToString(c.Handler) != Handler {
		diff = append(diff, fmt.Sprintf("handler %s -> %s", aws.ToString(c.Handler), Handler))
	}
	if aws.ToString(c.Role) != spec.RoleARN {
		diff = append(diff, fmt.Sprintf("role %s -> %s", aws.ToString(c.Role), spec.RoleARN))
	}
	if aws.ToInt32(c.MemorySize) != spec.MemoryMB {
		diff = append(diff, fmt.Sprintf("memory %d -> %d MB", aws.ToInt32(c.MemorySize), spec.MemoryMB))
	}
	if aws.ToInt32(c.Timeout) != spec.TimeoutS {
		diff = append(diff, fmt.Sprintf("timeout %d -> %d s", aws.ToInt32(c.Timeout), spec.TimeoutS))
	}
	var have map[string]string
	if c.Environment != nil {
		have = c.Environment.Variables
	}
	if want := spec.env(); !maps.Equal(have, want) {
		diff = append(diff, "environment")
	}
	return diff
}
