package container

// DefaultImage is the LocalStack image the harness runs unless told
// otherwise.
const DefaultImage = "localstack/localstack:4.14.0"

// moduleImage is the image name handed to the testcontainers-go LocalStack
// module's Run; the real image follows as testcontainers.WithImage, which
// is applied after the module's own checks.
//
// Why: the module refuses images whose tag is not semver >= 0.11, meaning to
// reject LocalStack's pre-0.11 "legacy mode". But golang.org/x/mod/semver
// forbids leading zeros, so LocalStack's CalVer tags ("2026.01",
// "2026.01.0-amd64") fail that check with a misleading "legacy mode" error,
// and so do digest-pinned references and images of other names
// (facevec/stack:dev). The module uses the tag for nothing else but to pick
// LOCALSTACK_HOST over HOSTNAME_EXTERNAL, and "latest" picks LOCALSTACK_HOST,
// right for every LocalStack since 2.0. Always showing it "latest" means no
// copy of the module's version parsing lives here to drift on an upgrade;
// images older than 2.0 (2023) are not supported.
const moduleImage = "localstack/localstack:latest"
