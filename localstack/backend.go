package localstack

import (
	"context"
	"fmt"
	"strings"

	"github.com/facevec/facevec/localstack/container"
)

// Backend names the implementation behind a Stack.
type Backend string

// The backends Start knows.
const (
	BackendLocalStack Backend = "localstack"
	BackendEmbedded   Backend = "embedded"
	BackendAWS        Backend = "aws"
)

// EnvBackend selects the backend when no WithBackend option is given.
const EnvBackend = "E2E_BACKEND"

// Backends lists every valid backend, in the order they are documented.
func Backends() []Backend { return []Backend{BackendLocalStack, BackendEmbedded, BackendAWS} }

// ParseBackend turns a user-supplied name (flag or env) into a Backend.
// It is case-insensitive and tolerates surrounding blanks, because the value
// usually comes from a shell.
func ParseBackend(s string) (Backend, error) {
	b := Backend(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Backends() {
		if b == known {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown backend %q: want one of localstack, embedded, aws", s)
}

// chooseBackend applies the selection rules: an explicit option wins, then
// the E2E_BACKEND environment variable, then LocalStack when a Docker engine
// answers and has the LocalStack image (or can pull it), and the embedded
// stand-in otherwise. A forced LocalStack whose image cannot be had is an
// error naming the image, found before anything starts. The returned reason
// is meant for the log line that explains the choice.
func chooseBackend(ctx context.Context, explicit Backend, env, image string, probe imageProbe) (Backend, string, error) {
	if probe == nil {
		probe = container.Probe
	}
	var (
		b   Backend
		why string
		err error
	)
	switch {
	case explicit != "":
		if b, err = ParseBackend(string(explicit)); err != nil {
			return "", "", fmt.Errorf("WithBackend: %w", err)
		}
		why = "requested with WithBackend"
	case strings.TrimSpace(env) != "":
		if b, err = ParseBackend(env); err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvBackend, err)
		}
		why = EnvBackend + "=" + string(b)
	default:
		if err := probe(ctx, image); err != nil {
			return BackendEmbedded, "LocalStack cannot run: " + oneLine(err.Error()), nil
		}
		return BackendLocalStack, "a Docker engine answered and has image " + image, nil
	}
	if b == BackendLocalStack {
		if err := probe(ctx, image); err != nil {
			return "", "", fmt.Errorf("%s backend (%s): %w", b, why, err)
		}
	}
	return b, why, nil
}

// oneLine keeps log attributes readable when a Docker error spans lines.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// imageProbe reports whether a Docker engine answers and has image, or can
// pull it; nil means the LocalStack backend can start. The error says which
// of the two failed, for the log line that explains the backend choice.
type imageProbe func(ctx context.Context, image string) error

// ProbeLocalStack reports whether the LocalStack backend could start here
// with these options (the image from WithImage, FACEVEC_LOCALSTACK_IMAGE or
// DefaultImage): nil, or an error wrapping container.ErrNoDocker or
// container.ErrImageUnavailable.
func ProbeLocalStack(ctx context.Context, opts ...Option) error {
	c := newConfig(opts)
	probe := c.probe
	if probe == nil {
		probe = container.Probe
	}
	return probe(ctx, c.localstackImage())
}
