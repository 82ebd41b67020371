package localstack

import (
	"context"
	"fmt"
	"strings"
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

// dockerProbe reports whether a Docker engine answers; nil means healthy.
type dockerProbe func(ctx context.Context) error

// chooseBackend applies the selection rules: an explicit option wins, then
// the E2E_BACKEND environment variable, then LocalStack when a Docker
// provider answers and the embedded stand-in otherwise. The returned reason
// is meant for the log line that explains the choice.
func chooseBackend(ctx context.Context, explicit Backend, env string, probe dockerProbe) (Backend, string, error) {
	if explicit != "" {
		b, err := ParseBackend(string(explicit))
		if err != nil {
			return "", "", fmt.Errorf("WithBackend: %w", err)
		}
		return b, "requested with WithBackend", nil
	}
	if strings.TrimSpace(env) != "" {
		b, err := ParseBackend(env)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvBackend, err)
		}
		return b, EnvBackend + "=" + string(b), nil
	}
	if probe == nil {
		probe = dockerHealth
	}
	if err := probe(ctx); err != nil {
		return BackendEmbedded, "no Docker provider answered: " + oneLine(err.Error()), nil
	}
	return BackendLocalStack, "a Docker provider answered", nil
}

// oneLine keeps log attributes readable when a Docker error spans lines.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
