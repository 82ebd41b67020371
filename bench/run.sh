#!/usr/bin/env bash
# bench/run.sh DIST: the encoder's Go benchmarks against the native dlib
# baseline ($DIST/native, built by `make bench`), then bench/compare's table.
#
# Go and native run in alternating rounds on the same images, so both see the
# same machine load (the build machine is shared and noisy); each round gives
# one sample per benchmark and compare reports medians over the rounds.
#
# Native runs twice per round: once with every OPENBLAS_ variable removed
# from its environment (OpenBLAS's own kernels for this CPU, what plain dlib
# gets) and once with only OPENBLAS_CORETYPE=Haswell (the kernel set facevec
# pins in every process); each JSON line names the set it ran ("blas"), and
# compare shows the descriptor ratio against both. The native CNN runs (the
# first BENCH_CNN_ROUNDS rounds) use the pinned set, as facevec does.
#
# Each round also runs the e2e benchmark (e2e/bench_test.go: upload → result
# on the embedded stack, with $DIST/function.zip, which `make bench` builds).
#
# Env: FACEVEC_MODELS (required)  FACEVEC_EXTRA_FIXTURES (the obama-*p ladder, optional)
#      BENCH_ROUNDS=5  BENCH_TIME=300ms (go -benchtime)  BENCH_NATIVE_N=3 (runs per round)
#      BENCH_CNN_ROUNDS=2 (native CNN: a warm-up and a run of 3-10 s each)  BENCH_FILTER=. (go -bench regexp)
#      BENCH_E2E_N=10 (uploads per image per round; 0 skips the e2e benchmark)
# Writes DIST/bench.txt (everything), bench-go.txt, bench-native.jsonl, bench.png.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)
: "${FACEVEC_MODELS:?set FACEVEC_MODELS to the models directory (make bench does)}"
rounds=${BENCH_ROUNDS:-5}
benchtime=${BENCH_TIME:-300ms}
native_n=${BENCH_NATIVE_N:-3}
e2e_n=${BENCH_E2E_N:-10}
cnn_rounds=${BENCH_CNN_ROUNDS:-2}
filter=${BENCH_FILTER:-.}
GO=${GO:-go}
export FACEVEC_MODELS FACEVEC_BENCH_CACHE=${FACEVEC_BENCH_CACHE:-$dist/bench-cache}

native=$dist/native
# env arguments that remove every OPENBLAS_ variable (the host may set
# OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...).
mapfile -t blasvars < <(compgen -e -X '!OPENBLAS_*')
blas_unset=()
for v in "${blasvars[@]}"; do blas_unset+=(-u "$v"); done
blas_auto=(env "${blas_unset[@]}")
blas_pinned=(env "${blas_unset[@]}" OPENBLAS_CORETYPE=Haswell)
[ -x "$native" ] || { echo "bench: $native missing (make bench builds it)" >&2; exit 1; }
zip=$dist/function.zip
if ((e2e_n > 0)) && [ ! -r "$zip" ]; then
	echo "bench: $zip missing (make bench builds it; BENCH_E2E_N=0 skips the e2e benchmark)" >&2
	exit 1
fi

# The images both sides measure: bench_test.go's benchPaths, in its order.
images=("$root/fixtures/group/équipe 4.jpg" "$root/fixtures/people/astronaut é.png"
        "$root/fixtures/people/grace hopper.jpg")
if [ -n "${FACEVEC_EXTRA_FIXTURES:-}" ]; then
	for s in 240p 480p 720p 1080p; do images+=("$FACEVEC_EXTRA_FIXTURES/obama-$s.jpg"); done
else
	echo "bench: FACEVEC_EXTRA_FIXTURES unset, no resolution ladder (e.g. FACEVEC_EXTRA_FIXTURES=/work/shared/testdata/faces)" >&2
fi
for f in "${images[@]}"; do [ -r "$f" ] || { echo "bench: cannot read $f" >&2; exit 1; }; done

gotxt=$dist/bench-go.txt natjson=$dist/bench-native.jsonl
: >"$gotxt"
: >"$natjson"
header=$dist/bench-header.txt
{
	echo "# facevec benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# host: $(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "# $("$GO" version); dlib $(dpkg-query -W -f='${Version}' libdlib-dev 2>/dev/null || echo '?')"
	echo "# rounds $rounds, go -benchtime $benchtime, native $native_n runs per round (CNN: $cnn_rounds rounds, 1 run), e2e $e2e_n uploads per image per round"
	echo "# native: each round once with OpenBLAS's autodetected kernels (unset: ${blasvars[*]:-none}) and once with OPENBLAS_CORETYPE=Haswell; CNN with Haswell"
} >"$header"

echo "bench: go test -c ./function/face/dlib ./e2e" >&2
(cd "$root" && "$GO" test -c -o "$dist/face.test" ./function/face/dlib)
((e2e_n == 0)) || (cd "$root" && "$GO" test -c -tags e2e -o "$dist/e2e.test" ./e2e)

for ((r = 1; r <= rounds; r++)); do
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "# round $r: load average $load before" >>"$header"
	echo "bench: round $r/$rounds (load $load): go" >&2
	(cd "$root/function/face/dlib" && "$dist/face.test" -test.run '^$' -test.bench "$filter" \
		-test.benchtime "$benchtime" -test.benchmem -test.timeout 30m) >>"$gotxt"
	if ((e2e_n > 0)); then
		echo "bench: round $r/$rounds: e2e" >&2
		(cd "$root/e2e" && FACEVEC_ZIP=$zip "$dist/e2e.test" -test.run '^$' -test.bench UploadToResult \
			-test.benchtime "${e2e_n}x" -test.timeout 10m) >>"$gotxt"
	fi
	echo "bench: round $r/$rounds: native, OpenBLAS autodetected" >&2
	"${blas_auto[@]}" "$native" --models "$FACEVEC_MODELS" --n "$native_n" --round "$r" "${images[@]}" >>"$natjson"
	echo "bench: round $r/$rounds: native, OPENBLAS_CORETYPE=Haswell" >&2
	"${blas_pinned[@]}" "$native" --models "$FACEVEC_MODELS" --n "$native_n" --round "$r" "${images[@]}" >>"$natjson"
	if ((r <= cnn_rounds)); then
		# The ~1 MP photo BenchmarkDetectCNN synthesised (newest recipe).
		# shellcheck disable=SC2012 # newest first; the names are ours
		cnn=$(ls -t "$FACEVEC_BENCH_CACHE"/synth-*/hopper-1mp.jpg 2>/dev/null | head -1 || true)
		if [ -n "$cnn" ]; then
			"${blas_pinned[@]}" "$native" --models "$FACEVEC_MODELS" --stages detect_cnn_up0 --cnn-n 1 --round "$r" "$cnn" >>"$natjson"
		else
			echo "bench: no synthesised hopper-1mp.jpg (BenchmarkDetectCNN filtered out?), native CNN skipped" >&2
		fi
	fi
done
echo "# after: load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$header"

ziparg=()
[ ! -r "$zip" ] || ziparg=(-zip "$zip")
(cd "$root" && "$GO" run ./bench/compare -go "$gotxt" -native "$natjson" -png "$dist/bench.png" "${ziparg[@]}") >"$dist/bench-table.txt"
{
	cat "$header"
	echo
	cat "$dist/bench-table.txt"
	echo "## Raw go test -bench output"
	cat "$gotxt"
	echo
	echo "## Raw native output"
	cat "$natjson"
} >"$dist/bench.txt"
rm -f "$header"
cat "$dist/bench-table.txt"
echo "bench: wrote $dist/bench.txt and $dist/bench.png" >&2
