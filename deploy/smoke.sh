#!/usr/bin/env bash
# smoke.sh: prove a deployed stack works. Uploads a photo to the input
# bucket under a fresh key (so the function's idempotency check cannot
# answer with an old result), polls for its result JSON and prints a
# summary. Exit 0 only for a result with at least one face and no error.
#
# Environment:
#   STACK_NAME      the stack (default facevec)
#   SMOKE_IMAGE     the photo (default fixtures/people/grace hopper.jpg)
#   SMOKE_TIMEOUT   seconds to wait for the result (default 300: a cold
#                   start loads ~32 MB of models before the first photo)
#   SMOKE_POLL      seconds between polls (default 3)
#   AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh
# The uploaded photo and its result are left in place for inspection;
# make undeploy removes them with the buckets.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init smoke

SMOKE_IMAGE=${SMOKE_IMAGE:-$ROOT/fixtures/people/grace hopper.jpg}
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-300}
SMOKE_POLL=${SMOKE_POLL:-3}
[[ -f $SMOKE_IMAGE ]] || die "SMOKE_IMAGE='$SMOKE_IMAGE' does not exist"
[[ $SMOKE_TIMEOUT =~ ^[0-9]+$ ]] || die "SMOKE_TIMEOUT='$SMOKE_TIMEOUT': want whole seconds"
[[ $SMOKE_POLL =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SMOKE_POLL='$SMOKE_POLL': want seconds"

preflight
load_stack || die "stack $STACK_NAME does not exist in $REGION: deploy it first (make deploy)"
in_bucket=$(output InputBucketName)
out_bucket=$(output OutputBucketName)
prefix=$(output OutputPrefix)
log_group=$(output LogGroupName)
dlq_url=$(output DeadLetterQueueUrl)

# A space in the key on purpose: S3 events carry keys URL-encoded
# ("grace+hopper.jpg"), and the result must name the decoded key.
key="smoke/$(date -u +%Y%m%dT%H%M%SZ)-$$/$(basename "$SMOKE_IMAGE")"
# docs/CONTRACT.md "Result key": <prefix><input bucket>/<key>.json
result_key="$prefix$in_bucket/$key.json"
log "uploading $(basename "$SMOKE_IMAGE") to s3://$in_bucket/$key"
aws_ s3 cp --only-show-errors "$SMOKE_IMAGE" "s3://$in_bucket/$key" ||
	die "upload to s3://$in_bucket/$key failed"

log "waiting up to ${SMOKE_TIMEOUT}s for s3://$out_bucket/$result_key"
start=$(date +%s)
until aws_ s3api head-object --bucket "$out_bucket" --key "$result_key" >/dev/null 2>"$TMP/head.err"; do
	if ! grep -Eq '404|Not Found|NoSuchKey' "$TMP/head.err"; then
		die "checking for the result failed: $(oneline "$TMP/head.err")"
	fi
	if (($(date +%s) - start >= SMOKE_TIMEOUT)); then
		log "no result after ${SMOKE_TIMEOUT}s. What the function logged:"
		aws_ logs filter-log-events --log-group-name "$log_group" \
			--start-time "$((start * 1000 - 60000))" --limit 40 \
			--query 'events[].message' --output text 2>/dev/null | tail -n 40 >&2 || true
		dlq=$(aws_ sqs get-queue-attributes --queue-url "$dlq_url" \
			--attribute-names ApproximateNumberOfMessages --query 'Attributes.ApproximateNumberOfMessages' \
			--output text 2>/dev/null || echo "?")
		die "timed out; failed-event queue holds $dlq message(s): $dlq_url"
	fi
	sleep "$SMOKE_POLL"
done
elapsed=$(($(date +%s) - start))

aws_ s3 cp --only-show-errors "s3://$out_bucket/$result_key" "$TMP/result.json" ||
	die "download of s3://$out_bucket/$result_key failed"
jq -e . "$TMP/result.json" >/dev/null 2>&1 || die "s3://$out_bucket/$result_key is not JSON"

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
	die "the result is not a success (an error, another source key, no face, or a descriptor without 128 values): s3://$out_bucket/$result_key"
fi
log "ok: s3://$out_bucket/$result_key"
