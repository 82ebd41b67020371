#!/usr/bin/env bash
# go-toolchain.sh VERSION DEST: install Go VERSION (e.g. 1.26.8) for
# linux/amd64 into DEST (DEST/bin/go) from the Go module proxy, where
# `go` itself gets toolchains (GOTOOLCHAIN): the module
# golang.org/toolchain@v0.0.1-goVERSION.linux-amd64. build/package.Dockerfile
# runs it, because Debian 12's golang (1.19) is too old for go.mod.
#
# The zip is checked the way the go command checks a module: its h1: hash
# (golang.org/x/mod/sumdb/dirhash Hash1: SHA-256 over the sorted
# "sha256  name" lines of its files) must equal the checksum database's
# line for it, asked through the proxy ($GOPROXY/sumdb/...) and else
# directly. GOSUMDB=off skips that, as it does for go.
#
# GOPROXY: the first http(s) entry of the list is used (default
# https://proxy.golang.org). Needs curl, unzip, sha256sum, basenc, base64.
set -euo pipefail

version=${1:?usage: go-toolchain.sh VERSION DEST}
dest=${2:?usage: go-toolchain.sh VERSION DEST}
arch=${GO_TOOLCHAIN_ARCH:-linux-amd64}
say() { echo "go-toolchain: $*" >&2; }

proxy=""
IFS=',|' read -r -a entries <<<"${GOPROXY:-https://proxy.golang.org}"
for e in "${entries[@]}"; do
	case $e in http://* | https://*) proxy=${e%/} && break ;; esac
done
[ -n "$proxy" ] || { say "GOPROXY=$GOPROXY names no http(s) proxy"; exit 1; }

mod=golang.org/toolchain
ver=v0.0.1-go$version.$arch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl_() { curl -fsSL --retry 2 --connect-timeout 20 "$@"; }

say "$proxy/$mod/@v/$ver.zip"
curl_ -o "$work/go.zip" "$proxy/$mod/@v/$ver.zip"
mkdir "$work/x"
unzip -q "$work/go.zip" -d "$work/x"

sumdb=${GOSUMDB:-sum.golang.org}
if [ "$sumdb" = off ]; then
	say "GOSUMDB=off: not checking the zip's hash"
else
	sumdb=${sumdb%% *} # a "name key" or "name+key url" form: the name
	sumdb=${sumdb%%+*}
	want=""
	for url in "$proxy/sumdb/$sumdb/lookup/$mod@$ver" "https://$sumdb/lookup/$mod@$ver"; do
		if want=$(curl_ "$url" 2>/dev/null | awk -v m="$mod" -v v="$ver" '$1 == m && $2 == v { print $3; exit }') && [ -n "$want" ]; then
			break
		fi
	done
	[ -n "$want" ] || { say "no checksum for $mod@$ver from $sumdb (GOSUMDB=off skips the check)"; exit 1; }
	got=h1:$(cd "$work/x" && find . -type f | sed 's|^\./||' | LC_ALL=C sort |
		xargs -d '\n' sha256sum | sha256sum | cut -d' ' -f1 | tr a-f A-F | basenc --base16 -d | base64)
	if [ "$got" != "$want" ]; then
		say "$mod@$ver: hash $got, $sumdb says $want: refusing it"
		exit 1
	fi
	say "$mod@$ver: $got matches $sumdb"
fi

mkdir -p "$dest"
cp -a "$work/x/$mod@$ver/." "$dest/"
"$dest/bin/go" version >&2
