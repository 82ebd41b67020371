#!/usr/bin/env bash
# package-docker.sh: make package-docker. Builds dist/function.zip (and
# dist/lambda/) in a Debian 12 container, for hosts that cannot build the
# cgo package (macOS, distributions without Debian's package names, arm64
# laptops), then checks it as the host build is checked.
#
#   1. scripts/debian-image.sh: debian:12 is there, pulled, or (no
#      registry) made with debootstrap from this host's mirror;
#   2. docker build -f build/package.Dockerfile: Debian's dlib and friends,
#      Go at go.mod's version from $GOPROXY, modules, then `make package`;
#   3. dist/function.zip and dist/lambda/ copied out, owned by the caller;
#   4. `pack -check` and TestDockerBuiltPackage (function/pack) on the zip,
#      with the host's Go, else inside the container. Set
#      FACEVEC_PACKAGE_HOST_ZIP to a zip `make package` built on a host to
#      have the test compare the two.
#
# Not on x86_64 (Apple Silicon, arm64 Linux) the image and the build run as
# linux/amd64 under emulation: correct, and many times slower.
# PACKAGE_DOCKER_IMAGE names the build image (default
# facevec/package-build:dev); the full build log goes to
# dist/package-docker.log.
set -euo pipefail

cd "$(dirname "$0")/.."
image=${PACKAGE_DOCKER_IMAGE:-facevec/package-build:dev}
dist=dist
log=$dist/package-docker.log
say() { echo "package-docker: $*" >&2; }
took() { echo "$((SECONDS - $1))s"; }

if ! docker info >/dev/null 2>&1; then
	say "no Docker engine answers (docker info failed): start Docker and run make package-docker again"
	exit 1
fi

platform=()
if [ "$(uname -m)" != x86_64 ]; then
	platform=(--platform linux/amd64)
	say "$(uname -m) host: building for linux/amd64 under emulation; expect it to be several times slower"
fi

# Go: the toolchain line of go.mod when it has one, else its go line (a
# bare 1.N means its first release, 1.N.0).
go_version=$(sed -nE 's/^toolchain go([0-9.]+).*/\1/p' go.mod)
go_version=${go_version:-$(sed -nE 's/^go ([0-9.]+).*/\1/p' go.mod)}
[[ $go_version =~ ^[0-9]+\.[0-9]+$ ]] && go_version=$go_version.0
[ -n "$go_version" ] || { say "go.mod has no go line"; exit 1; }
if command -v go >/dev/null 2>&1; then
	goproxy=${GOPROXY:-$(go env GOPROXY)}
	gosumdb=${GOSUMDB:-$(go env GOSUMDB)}
else
	goproxy=${GOPROXY:-https://proxy.golang.org}
	gosumdb=${GOSUMDB:-sum.golang.org}
fi

mkdir -p "$dist"
: >"$log"
start=$SECONDS
scripts/debian-image.sh debian:12 2>&1 | tee -a "$log" >&2
say "base image debian:12: $(took "$start")"

start=$SECONDS
say "docker build $image (Go $go_version; log: $log)"
if ! docker build --force-rm "${platform[@]}" -f build/package.Dockerfile -t "$image" \
	--build-arg GO_VERSION="$go_version" --build-arg GOPROXY="$goproxy" --build-arg GOSUMDB="$gosumdb" \
	. >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	say "docker build failed: the whole log is $log"
	exit 1
fi
say "image $image: $(took "$start"), $(docker image inspect -f '{{.Size}}' "$image") bytes"

# Out of the image, as the caller: docker run --user makes the copies
# theirs, not root's.
rm -rf "$dist/lambda" "$dist/function.zip"
docker run --rm "${platform[@]}" --user "$(id -u):$(id -g)" -v "$PWD/$dist:/out" "$image" \
	cp -r dist/function.zip dist/lambda /out/
say "$dist/function.zip: $(wc -c <"$dist/function.zip") bytes, SHA-256 $(sha256sum "$dist/function.zip" | cut -d' ' -f1)"

# The checks `make package` runs, and the comparison test.
if command -v go >/dev/null 2>&1; then
	go run ./function/pack -check "$dist/function.zip"
	FACEVEC_PACKAGE_DOCKER_ZIP=$PWD/$dist/function.zip go test -count=1 -run '^TestDockerBuiltPackage$' -v ./function/pack/
	exit 0
fi
say "no Go on this host: checking inside the container"
mounts=(-v "$PWD/$dist/function.zip:/check/function.zip:ro")
host_zip=()
if [ -n "${FACEVEC_PACKAGE_HOST_ZIP:-}" ]; then
	mounts+=(-v "$(cd "$(dirname "$FACEVEC_PACKAGE_HOST_ZIP")" && pwd)/$(basename "$FACEVEC_PACKAGE_HOST_ZIP"):/check/host.zip:ro")
	host_zip=(-e FACEVEC_PACKAGE_HOST_ZIP=/check/host.zip)
fi
docker run --rm "${platform[@]}" "${mounts[@]}" "${host_zip[@]}" -e FACEVEC_PACKAGE_DOCKER_ZIP=/check/function.zip "$image" \
	sh -c "go run ./function/pack -check /check/function.zip && go test -count=1 -run '^TestDockerBuiltPackage\$' -v ./function/pack/"
