package localstack

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// DefaultImage is the LocalStack image used unless WithImage or
// FACEVEC_LOCALSTACK_IMAGE says otherwise.
const DefaultImage = "localstack/localstack:4.14.0"

// placeholderImage is what we show the testcontainers-go LocalStack module's
// version check when the real image has a tag that check cannot parse; see
// planImage.
const placeholderImage = "localstack/localstack:latest"

// moduleRecentTags are the tags modules/localstack v0.45.0 accepts without
// parsing (its recentVersionTags).
var moduleRecentTags = []string{"community-archive", "latest", "s3", "s3-latest", "stable"}

// imageTag extracts the version the module looks at: the text after the last
// ':' of the reference without its digest. For "host:5000/repo" (no tag)
// that is "5000/repo", exactly as the module sees it.
func imageTag(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	parts := strings.Split(ref, ":")
	return parts[len(parts)-1]
}

// moduleVersion normalises a tag the way the module does: a known moving tag
// is returned as is (ok, no semver); otherwise an arch suffix after the last
// '-' is dropped and a "v" is prefixed for golang.org/x/mod/semver.
func moduleVersion(tag string) (v string, moving bool) {
	if slices.Contains(moduleRecentTags, tag) {
		return tag, true
	}
	if i := strings.LastIndexByte(tag, '-'); i >= 0 {
		tag = tag[:i]
	}
	if slices.Contains(moduleRecentTags, tag) {
		return tag, true
	}
	if !strings.HasPrefix(tag, "v") {
		tag = "v" + tag
	}
	return tag, false
}

// moduleAccepts mirrors isMinimumVersion(image, "v0.11") in
// github.com/testcontainers/testcontainers-go/modules/localstack v0.45.0,
// the check localstack.Run applies before it touches Docker.
func moduleAccepts(image string) bool {
	v, moving := moduleVersion(imageTag(image))
	if moving {
		return true
	}
	return semver.IsValid(v) && semver.Compare(v, "v0.11") >= 0
}

// planImage decides what to pass to the module's Run and whether to
// override the image afterwards.
//
// Why: the module refuses images whose tag is not semver >= 0.11, meaning
// to reject LocalStack's pre-0.11 "legacy mode". But golang.org/x/mod/semver
// forbids leading zeros, so LocalStack's CalVer tags ("2026.01",
// "2026.01.0-amd64") fail the check and Run returns a misleading "legacy
// mode" error; digest-pinned references ("localstack/localstack@sha256:…")
// fail the same way. The module only uses the tag for that check and to pick
// LOCALSTACK_HOST over HOSTNAME_EXTERNAL (>= v2). So for a tag it cannot
// parse we pass a moving tag it accepts ("latest": LOCALSTACK_HOST, right for
// every current image) and put the real image back with
// testcontainers.WithImage, which is applied after the check. A tag that
// does parse and really is older than 0.11 stays an error.
//
// The manual alternative, for anyone calling the module directly: use a
// semver-looking tag (e.g. "4.14.0", or "2026.1" without the zero) or a
// moving tag such as "latest" or "stable".
func planImage(image string) (runImage, override string, err error) {
	image = strings.TrimSpace(image)
	if image == "" {
		return "", "", fmt.Errorf("empty LocalStack image name")
	}
	if moduleAccepts(image) {
		return image, "", nil
	}
	if v, _ := moduleVersion(imageTag(image)); semver.IsValid(v) {
		return "", "", fmt.Errorf("LocalStack image %s: version %s is older than 0.11 (legacy mode), which testcontainers-go cannot run", image, v)
	}
	return placeholderImage, image, nil
}
