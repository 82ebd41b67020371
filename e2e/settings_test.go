//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/localstack"
)

// Environment variables of the suite (see doc.go).
const (
	envZip           = "FACEVEC_ZIP"
	envExtraFixtures = "FACEVEC_EXTRA_FIXTURES"
	envRoleARN       = "FACEVEC_ROLE_ARN"
	envWait          = "E2E_WAIT"
	envLogLevel      = "E2E_LOG_LEVEL"
	envAWSCLI        = "FACEVEC_AWSCLI"
	envBin           = "FACEVEC_BIN"
)

// defaultWait bounds the wait for all results. The embedded backend with two
// environments needs well under a minute for the fixtures; LocalStack and
// AWS add cold starts and image pulls.
const defaultWait = 5 * time.Minute

// settings is what the environment says about this run.
type settings struct {
	root        string // module root (parent of fixtures/)
	fixturesDir string
	zip         string
	extraDir    string // "" when FACEVEC_EXTRA_FIXTURES is unset
	roleARN     string
	wait        time.Duration
	logLevel    slog.Level
	// suffix makes bucket and function names unique per run, which real
	// AWS needs (bucket names are global) and which keeps a LocalStack
	// reused between runs from mixing them up.
	suffix string
}

func loadSettings() (settings, error) {
	var s settings
	var errs []error
	dir, err := fixtures.Dir()
	if err != nil {
		return s, err
	}
	s.fixturesDir = dir
	s.root = filepath.Dir(dir)

	s.zip = strings.TrimSpace(os.Getenv(envZip))
	if s.zip == "" {
		s.zip = filepath.Join(s.root, "dist", "function.zip")
		if _, err := os.Stat(s.zip); err != nil {
			errs = append(errs, fmt.Errorf("%s is unset and %s is missing: run `make package` (or `make e2e`)", envZip, s.zip))
		}
	} else if _, err := os.Stat(s.zip); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", envZip, err))
	}

	if d := strings.TrimSpace(os.Getenv(envExtraFixtures)); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s=%s is not a directory", envExtraFixtures, d))
		}
		s.extraDir = d
	}
	s.roleARN = strings.TrimSpace(os.Getenv(envRoleARN))

	s.wait = defaultWait
	if v := strings.TrimSpace(os.Getenv(envWait)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive Go duration such as 5m", envWait, v))
		} else {
			s.wait = d
		}
	}

	s.logLevel = slog.LevelWarn
	if v := strings.TrimSpace(os.Getenv(envLogLevel)); v != "" {
		if err := s.logLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want DEBUG, INFO, WARN or ERROR", envLogLevel, v))
		}
	}

	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		errs = append(errs, fmt.Errorf("random suffix: %w", err))
	}
	s.suffix = hex.EncodeToString(b[:])
	return s, errors.Join(errs...)
}

// backendFromEnv is the backend localstack.Start will pick from E2E_BACKEND,
// or "" when it will probe for Docker. It only decides requirements that
// must fail before anything starts (a role ARN for AWS).
func backendFromEnv() localstack.Backend {
	b, err := localstack.ParseBackend(os.Getenv(localstack.EnvBackend))
	if err != nil {
		return ""
	}
	return b
}
