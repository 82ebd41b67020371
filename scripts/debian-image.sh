#!/usr/bin/env bash
# debian-image.sh [TAG]: make sure the Docker image TAG (default debian:12),
# the base of build/package.Dockerfile, is there.
#
#   1. already in the engine: nothing to do;
#   2. `docker pull TAG` works (a user's machine): that;
#   3. no registry (this build machine): build it from this host's Debian
#      mirror, `debootstrap --variant=minbase bookworm` into a temporary
#      directory, then `tar | docker import - TAG`. The root gets this host's
#      Debian apt sources and its Acquire::Check-* settings (a snapshot
#      mirror's Release files are past their Valid-Until) and its local
#      CA certificates, so apt and curl inside the image see what they see
#      on the host. Needs root (sudo otherwise);
#      installs debootstrap with apt when it is missing.
#
# DEBIAN_MIRROR overrides the mirror read from /etc/apt/sources.list{,.d}.
set -euo pipefail

tag=${1:-debian:12}
suite=bookworm
say() { echo "debian-image: $*" >&2; }

if docker image inspect "$tag" >/dev/null 2>&1; then
	say "$tag is present"
	exit 0
fi
if timeout "${DEBIAN_IMAGE_PULL_TIMEOUT:-120}" docker pull -q "$tag" >/dev/null 2>&1; then
	say "pulled $tag"
	exit 0
fi
say "$tag is not here and cannot be pulled: building it with debootstrap from this host's mirror"

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

# host_mirror: the first enabled Debian archive (not -security) in this
# host's apt sources, one-line or deb822 format.
host_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == s) { print $i; exit } } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# One stanza per paragraph: its URIs when its Suites name the suite.
		awk -v s="$suite" 'BEGIN { RS = "" } {
			uri = ""; hit = 0
			n = split($0, line, "\n")
			for (i = 1; i <= n; i++) {
				if (line[i] ~ /^URIs:/) { split(line[i], w, /[ \t]+/); uri = w[2] }
				if (line[i] ~ /^Suites:/) { m = split(line[i], w, /[ \t]+/); for (j = 2; j <= m; j++) if (w[j] == s) hit = 1 }
			}
			if (hit && uri != "") { print uri; exit }
		}' "$f"
	done
}

mirror=${DEBIAN_MIRROR:-$(host_mirror | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/debian-image.XXXXXX")
trap '"${sudo[@]}" rm -rf "$root"' EXIT

start=$SECONDS
say "debootstrap --variant=minbase $suite $root $mirror"
"${sudo[@]}" debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -n 20 "$root.log" >&2
	say "debootstrap failed (log: $root.log)"
	exit 1
}
rm -f "$root.log"
say "debootstrap: $((SECONDS - start))s"

# This host's Debian sources (updates and security too, as the official
# image has them) replace debootstrap's single line; its Acquire::Check-*
# settings come along. Third-party sources are left out: their keys are not
# in the image.
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
	if [ -s "$f" ] && grep -q "$mirror" "$f"; then
		"${sudo[@]}" rm -f "$root/etc/apt/sources.list"
		"${sudo[@]}" cp "$f" "$root$f"
		break
	fi
done
for f in /etc/apt/apt.conf.d/*; do
	[ -f "$f" ] || continue
	grep -h -E '^[[:space:]]*Acquire::Check-(Valid-Until|Date)' "$f" || true
done | "${sudo[@]}" tee "$root/etc/apt/apt.conf.d/99host-acquire" >/dev/null
# This host's own certificate authorities (update-ca-certificates' local
# directory), for a TLS-inspecting egress proxy: the image's
# ca-certificates, once installed, trusts what the host trusts.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
	"${sudo[@]}" mkdir -p "$root/usr/local/share/ca-certificates"
	"${sudo[@]}" cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
# What the official image does to keep layers small.
"${sudo[@]}" rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb

start=$SECONDS
"${sudo[@]}" tar -C "$root" --numeric-owner -c . | docker import \
	-c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
say "docker import: $((SECONDS - start))s; $(docker image inspect -f '{{.Size}}' "$tag") bytes as $tag"
