#!/usr/bin/env bash
# vulncheck.sh — report known vulnerabilities in the code facevec calls
# (govulncheck: only vulnerable functions that are actually reachable).
#
#   scripts/vulncheck.sh [packages...]        default ./...
#
# govulncheck is fetched through the Go module proxy (go install ...@version,
# into a temporary directory; `go run` would hide its exit status).
# It needs the vulnerability database, by default https://vuln.go.dev. When
# the database cannot be reached (an offline or firewalled machine) the check
# is SKIPPED with a message and exit status 0, unless VULNCHECK_STRICT=1, in
# which case that is an error (exit 1). A local mirror can be used instead:
#   VULNDB=file:///path/to/vulndb scripts/vulncheck.sh
#
# Environment:
#   GOVULNCHECK_VERSION  govulncheck version (default latest)
#   VULNDB               database URL (default https://vuln.go.dev)
#   VULNCHECK_STRICT     1: a missing tool or database fails instead of skipping
#   VULNCHECK_TAGS       build tags to analyse with (default e2e, so the
#                        end-to-end tests' dependencies are covered too)
#
# Exit status: 0 no known vulnerabilities (or skipped), 3 vulnerabilities
# found (govulncheck's own code), anything else an error.
set -euo pipefail

cd "$(dirname "$0")/.."

version=${GOVULNCHECK_VERSION:-latest}
db=${VULNDB:-https://vuln.go.dev}
strict=${VULNCHECK_STRICT:-0}
tags=${VULNCHECK_TAGS:-e2e}
tool="golang.org/x/vuln/cmd/govulncheck@${version}"

skip() {
	echo "vulncheck: SKIPPED: $*" >&2
	if [ "$strict" = 1 ]; then
		echo "vulncheck: VULNCHECK_STRICT=1, so this is a failure" >&2
		exit 1
	fi
	exit 0
}

# 1. The tool, through the module proxy.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if ! out=$(GOBIN="$bin" go install "$tool" 2>&1); then
	skip "cannot fetch or build ${tool} through the Go module proxy:
$(printf '%s\n' "$out" | tail -n 5)"
fi
govulncheck="$bin/govulncheck"

# 2. The database. govulncheck would only fail after loading and type-checking
# every package (slow with cgo), so look first.
case "$db" in
file://*)
	dir=${db#file://}
	[ -f "$dir/index/db.json" ] || [ -f "$dir/index/db.json.gz" ] ||
		skip "no vulnerability database at $db (want index/db.json inside)"
	;;
http://* | https://*)
	if command -v curl >/dev/null 2>&1; then
		if ! reason=$(curl -fsS -o /dev/null --max-time 15 "$db/index/db.json.gz" 2>&1); then
			skip "the vulnerability database $db is unreachable from this machine (${reason:-no answer}).
Run this where $db is reachable, or point VULNDB at a local mirror (file:///...)."
		fi
	fi
	;;
*)
	echo "vulncheck: VULNDB=$db: want an http(s):// or file:// URL" >&2
	exit 2
	;;
esac

# 3. The scan. Without curl, a database that cannot be fetched shows up
# here as a fetch error, which is also a skip rather than a finding.
[ $# -gt 0 ] || set -- ./...
echo "vulncheck: $tool -db $db -tags $tags $*" >&2
set +e
out=$("$govulncheck" -db "$db" -tags "$tags" "$@" 2>&1)
rc=$?
set -e
printf '%s\n' "$out"
if [ $rc -ne 0 ] && [ $rc -ne 3 ] &&
	printf '%s\n' "$out" | grep -qiE 'vuln\.go\.dev|fetching vulnerabilit|no such host|dial tcp|connection refused|i/o timeout'; then
	skip "govulncheck could not read the vulnerability database $db (see above)"
fi
case $rc in
0) echo "vulncheck: no known vulnerabilities reachable from $*" >&2 ;;
3) echo "vulncheck: vulnerabilities found (see above)" >&2 ;;
*) echo "vulncheck: govulncheck failed (exit $rc)" >&2 ;;
esac
exit $rc
