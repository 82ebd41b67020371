#!/usr/bin/env bash
# smoke.sh: prove a deployed stack works. Uploads a photo to the input
# bucket under a fresh key (so the function's idempotency check cannot
# answer with an old result), polls for its result JSON and prints a
# summary. Exit 0 only for a result with at least one face and no error.
#
# S3 documents that a new notification configuration can take minutes to
# apply, so an upload right after a deploy may trigger nothing: while no
# result is there the photo is uploaded again, after SMOKE_REUPLOAD s, then
# twice that, and so on (the function is idempotent per object version, so
# an extra event costs one invocation, never a second result). A failure
# names its step: 1 upload, 2 trigger (S3 -> Lambda), 3 function, 4 result.
#
# Environment:
#   STACK_NAME      the stack (default facevec)
#   SMOKE_IMAGE     the photo (default fixtures/people/grace hopper.jpg)
#   SMOKE_TIMEOUT   seconds to wait for the result (default 300: a cold
#                   start loads ~32 MB of models before the first photo)
#   SMOKE_POLL      seconds between polls (default 3)
#   SMOKE_REUPLOAD  seconds before the first re-upload, doubling after each
#                   (default 15)
#   SMOKE_CALIBRATE 0 skips the face index's calibration (below)
#   FACEVEC_CLI     the facevec CLI that calibrates (default dist/facevec,
#                   which make package builds)
#
# With a face index, the smoke test also calibrates it: whether
# QueryVectors' euclidean "distance" is the distance or its square is not
# documented, so `facevec index --calibrate` writes two probe vectors 0.5
# apart, queries, reads the distance and deletes them, and the result says
# how `facevec search` must read distances (FACEVEC_VECTOR_DISTANCE).
#   AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh
# The uploaded photo and its result are left in place for inspection in
# the buckets the stack created (make undeploy removes them with the
# buckets, unless KEEP_DATA=1). In an EXISTING_INPUT_BUCKET, which is the
# user's, the photo is deleted again after a success (its faces then leave
# the index through the removal event); after a failure the command that
# deletes it is printed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init smoke

SMOKE_IMAGE=${SMOKE_IMAGE:-$ROOT/fixtures/people/grace hopper.jpg}
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-300}
SMOKE_POLL=${SMOKE_POLL:-3}
SMOKE_REUPLOAD=${SMOKE_REUPLOAD:-15}
[[ -f $SMOKE_IMAGE ]] || die "SMOKE_IMAGE='$SMOKE_IMAGE' does not exist"
[[ $SMOKE_TIMEOUT =~ ^[0-9]+$ ]] || die "SMOKE_TIMEOUT='$SMOKE_TIMEOUT': want whole seconds"
[[ $SMOKE_POLL =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SMOKE_POLL='$SMOKE_POLL': want seconds"
[[ $SMOKE_REUPLOAD =~ ^[1-9][0-9]*$ ]] || die "SMOKE_REUPLOAD='$SMOKE_REUPLOAD': want whole seconds, at least 1"

preflight
load_stack || die "stack $STACK_NAME does not exist in $REGION: deploy it first (make deploy)"
in_bucket=$(output InputBucketName)
out_bucket=$(output OutputBucketName)
prefix=$(output OutputPrefix)
log_group=$(output LogGroupName)
dlq_url=$(output DeadLetterQueueUrl)
fn_arn=$(output FunctionArn)
in_created=$(output_or_empty InputBucketCreated)
# With BufferWithQueue, S3 notifies the ingest queue, which has its own
# dead-letter queue.
queue_arn=$(output_or_empty IngestQueueArn)
ingest_dlq_url=$(output_or_empty IngestDeadLetterQueueUrl)

# A space in the key on purpose: S3 events carry keys URL-encoded
# ("grace+hopper.jpg"), and the result must name the decoded key.
key="smoke/$(date -u +%Y%m%dT%H%M%SZ)-$$/$(basename "$SMOKE_IMAGE")"
# docs/CONTRACT.md "Result key": <prefix><input bucket>/<key>.json
result_key="$prefix$in_bucket/$key.json"
uploads=0
upload() {
	local again=""
	((uploads == 0)) || again=" again (upload $((uploads + 1)))"
	log "uploading $(basename "$SMOKE_IMAGE") to s3://$in_bucket/$key$again"
	aws_ s3 cp --only-show-errors "$SMOKE_IMAGE" "s3://$in_bucket/$key" 2>"$TMP/cp.err" ||
		die "step 1/4 (upload) failed: s3://$in_bucket/$key: $(oneline "$TMP/cp.err")"
	uploads=$((uploads + 1))
}

# queue_depth URL prints a queue's ApproximateNumberOfMessages ("?" when
# it cannot be read).
queue_depth() {
	aws_ sqs get-queue-attributes --queue-url "$1" \
		--attribute-names ApproximateNumberOfMessages --query 'Attributes.ApproximateNumberOfMessages' \
		--output text 2>/dev/null || echo "?"
}

# cleanup_hint: after a failure in the user's own bucket, how to delete
# the smoke photo.
cleanup_hint() {
	[[ $in_created == false ]] || return 0
	log "the smoke photo stays in your bucket for inspection: aws s3 rm 's3://$in_bucket/$key'"
}

# diagnose_timeout names the step that failed when no result came: the
# trigger (no notification to the function or its queue, or the function
# logged nothing) or the function (it ran: its log and the dead-letter
# queues).
diagnose_timeout() {
	local conf wired events dlq target=${queue_arn:-$fn_arn}
	# An empty answer is an empty configuration.
	if conf=$(aws_ s3api get-bucket-notification-configuration --bucket "$in_bucket" --output json 2>/dev/null); then
		wired=$(jq --arg arn "$target" '[(.LambdaFunctionConfigurations // [])[] | select(.LambdaFunctionArn == $arn)]
			+ [(.QueueConfigurations // [])[] | select(.QueueArn == $arn)] | length' \
			<<<"${conf:-"{}"}" 2>/dev/null || echo "?")
	else
		wired="?"
	fi
	cleanup_hint
	if [[ $wired == 0 ]]; then
		die "step 2/4 (trigger) failed: s3://$in_bucket has no notification to $target (make deploy writes them)"
	fi
	aws_ logs filter-log-events --log-group-name "$log_group" --start-time "$((start * 1000))" --limit 40 \
		--query 'events[].message' --output text >"$TMP/log.txt" 2>"$TMP/log.err" || true
	events=$(grep -c . "$TMP/log.txt" || true)
	if [[ ! -s $TMP/log.err && $events == 0 ]]; then
		if [[ -n $queue_arn ]]; then
			die "step 2/4 (trigger) failed: $uploads upload(s) over ${SMOKE_TIMEOUT}s, and $log_group holds nothing since the first: the function was not invoked from the ingest queue ($(queue_depth "$ingest_dlq_url") message(s) in its dead-letter queue $ingest_dlq_url; a new notification configuration can take minutes to apply; run deploy/smoke.sh again)"
		fi
		die "step 2/4 (trigger) failed: $uploads upload(s) over ${SMOKE_TIMEOUT}s, and $log_group holds nothing since the first: S3 did not invoke the function (a new notification configuration can take minutes to apply; run deploy/smoke.sh again)"
	fi
	log "what the function logged since the first upload:"
	tail -n 40 "$TMP/log.txt" >&2
	dlq="failed-event queue holds $(queue_depth "$dlq_url") message(s): $dlq_url"
	[[ -z $ingest_dlq_url ]] || dlq+="; ingest dead-letter queue holds $(queue_depth "$ingest_dlq_url") message(s): $ingest_dlq_url"
	die "step 3/4 (function) failed: no s3://$out_bucket/$result_key after ${SMOKE_TIMEOUT}s and $uploads upload(s); $dlq"
}

start=$(date +%s)
upload
log "waiting up to ${SMOKE_TIMEOUT}s for s3://$out_bucket/$result_key"
backoff=$SMOKE_REUPLOAD
next_upload=$((start + backoff))
until aws_ s3api head-object --bucket "$out_bucket" --key "$result_key" >/dev/null 2>"$TMP/head.err"; do
	if ! grep -Eq '404|Not Found|NoSuchKey' "$TMP/head.err"; then
		die "checking for the result failed: $(oneline "$TMP/head.err")"
	fi
	now=$(date +%s)
	if ((now - start >= SMOKE_TIMEOUT)); then
		diagnose_timeout
	fi
	if ((now >= next_upload)); then
		log "no result after $((now - start))s; S3 may not have applied the notification yet"
		upload
		backoff=$((backoff * 2))
		next_upload=$((now + backoff))
	fi
	sleep "$SMOKE_POLL"
done
elapsed=$(($(date +%s) - start))

aws_ s3 cp --only-show-errors "s3://$out_bucket/$result_key" "$TMP/result.json" ||
	die "step 4/4 (result) failed: download of s3://$out_bucket/$result_key failed"
jq -e . "$TMP/result.json" >/dev/null 2>&1 || die "step 4/4 (result) failed: s3://$out_bucket/$result_key is not JSON"

# The summary goes to stdout; everything else is on stderr.
jq -r --arg took "$elapsed" '
	"result     \(.schema // "?") after \($took)s",
	"source     s3://\(.source.bucket)/\(.source.key) (\(.source.size) bytes)",
	"image      \(.image.width // "?")x\(.image.height // "?") \(.image.format // "?")",
	"model      \(.model.detector // "?") upsample \(.model.upsample // "?") jitter \(.model.jitter // "?")",
	"faces      \(.faces | length)",
	(.faces | to_entries[] |
		"face \(.key)     box left=\(.value.box.left) top=\(.value.box.top) right=\(.value.box.right) bottom=\(.value.box.bottom) confidence=\(.value.confidence)",
		"           descriptor[0:4] = \(.value.descriptor[0:4] | map(tostring) | join(" ")) … (\(.value.descriptor | length) values)"),
	"timings    \(.timings_ms.total // "?") ms total",
	"error      \(if .error == null then "none" else "\(.error.code): \(.error.message)" end)"
' "$TMP/result.json"

if ! jq -e --arg key "$key" '.error == null and .source.key == $key and (.faces | length) > 0 and all(.faces[]; (.descriptor | length) == 128)' "$TMP/result.json" >/dev/null; then
	cleanup_hint
	die "step 4/4 (result) failed: not a success (an error, another source key, no face, or a descriptor without 128 values): s3://$out_bucket/$result_key"
fi
log "ok: s3://$out_bucket/$result_key"

# The face index's distance, measured (see the top).
vec_bucket=$(output_or_empty VectorBucketName)
vec_index=$(output_or_empty VectorIndexName)
if [[ -n $vec_index && ${SMOKE_CALIBRATE:-1} != 0 ]]; then
	cli=${FACEVEC_CLI:-$ROOT/dist/facevec}
	if [[ ! -x $cli ]]; then
		log "note: $cli is not built (make build), so the index's distance was not calibrated; facevec search assumes it is Euclidean"
	else
		log "calibrating the face index $vec_bucket/$vec_index (two probe vectors, written and deleted)"
		metric=$(AWS_REGION=$REGION "$cli" index --calibrate --vector-bucket "$vec_bucket" --vector-index "$vec_index" 2>"$TMP/cal.err") ||
			die "calibrating the face index $vec_bucket/$vec_index failed: $(oneline "$TMP/cal.err")"
		case $metric in
		euclidean) log "the index's QueryVectors distance is Euclidean, as facevec search assumes" ;;
		squared) log "the index's QueryVectors distance is the SQUARED Euclidean distance: run facevec search with FACEVEC_VECTOR_DISTANCE=squared (or --distance squared), or its tolerance compares squares" ;;
		*) die "calibrating the face index answered '$metric', want euclidean or squared" ;;
		esac
	fi
fi
# The user's own bucket gets its smoke photo deleted again.
if [[ $in_created == false ]]; then
	aws_ s3api delete-object --bucket "$in_bucket" --key "$key" >/dev/null 2>"$TMP/rm.err" ||
		die "delete the smoke photo s3://$in_bucket/$key from your bucket: $(oneline "$TMP/rm.err")"
	log "deleted the smoke photo from your bucket s3://$in_bucket (the result stays in s3://$out_bucket)"
fi
