#!/usr/bin/env bash
# build-deps.sh [OS_RELEASE]: the system packages `make deps` installs on
# this build host, one per line, named as the host's distribution names
# them (read from OS_RELEASE, default /etc/os-release).
#
#   Debian 12            the tested build host (CI and the build machine)
#   Ubuntu 22.04, 24.04  the same libraries under Ubuntu's names; not run
#                        in CI. Ubuntu 24.04 has no awscli package, 22.04
#                        only an old v1: install AWS CLI v2 from AWS.
#   anything else        exit 1 naming the way out: make package-docker
#                        builds dist/function.zip in a Debian 12 container
#                        (macOS, arm64 laptops, other distributions).
#
# What the packages are for: dlib and what its static archive links
# against (OpenBLAS, libjpeg, libpng, gfortran's runtime of the gcc that
# links), the real AWS CLI (CLI conformance tests, make deploy), zip/unzip,
# jq (deploy scripts), shellcheck (their lint test), curl/bzip2 (models).
set -euo pipefail

os_release=${1:-/etc/os-release}
[[ -r $os_release ]] || { echo "build-deps: cannot read $os_release: unknown distribution" >&2; exit 1; }
ID="" VERSION_ID="" PRETTY_NAME=""
# shellcheck source=/dev/null
. "$os_release"

# libgfortran-N-dev must match the gcc that links the static binary: its
# libgfortran.a lives in gcc's own directory.
gfortran() {
	local major
	major=$(gcc -dumpversion 2>/dev/null | cut -d. -f1 || true)
	echo "libgfortran-${major:-$1}-dev"
}

common=(libdlib-dev libopenblas-dev libpng-dev pkg-config zip unzip jq ca-certificates curl bzip2 libjpeg-turbo-progs shellcheck)
case "$ID:$VERSION_ID" in
debian:12)
	pkgs=("${common[@]}" libjpeg62-turbo-dev "$(gfortran 12)" awscli) ;;
ubuntu:24.04)
	pkgs=("${common[@]}" libjpeg-turbo8-dev "$(gfortran 13)") ;;
ubuntu:22.04)
	pkgs=("${common[@]}" libjpeg-turbo8-dev "$(gfortran 11)") ;;
*)
	echo "build-deps: ${PRETTY_NAME:-$ID $VERSION_ID} is not a supported build host (Debian 12; Ubuntu 22.04 or 24.04). Build the Lambda package in a container instead: make package-docker" >&2
	exit 1 ;;
esac
printf '%s\n' "${pkgs[@]}"
