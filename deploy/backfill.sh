#!/usr/bin/env bash
# backfill.sh: encode the photos that were in the input bucket before the
# stack was (make backfill). It creates one S3 Batch Operations job that
# invokes the function for every object of a manifest (the function
# answers each task Succeeded, TemporaryFailure or PermanentFailure and is
# idempotent by ETag, so a second job redoes nothing) and writes a
# completion report beside the results. Batch Operations runs the job; this
# script only creates it and says how to follow it.
#
# Environment:
#   BUCKET     the bucket holding the photos (default: the stack's input
#              bucket, the only one the function may read)
#   PREFIX     only keys under this prefix
#   INVENTORY  s3://<output bucket>/backfill/.../manifest.json: an S3
#              Inventory report (CSV) to use as the manifest instead of
#              listing the bucket; for millions of objects. Deliver the
#              inventory under backfill/ in the output bucket: the job's
#              role reads manifests there only.
#   PRIORITY   the job's priority (default 10)
#   STACK_NAME, AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init backfill

preflight
load_stack || die "stack $STACK_NAME does not exist: deploy it first (make deploy)"
in_bucket=$(output InputBucketName)
out_bucket=$(output OutputBucketName)
fn_arn=$(output FunctionArn)
role_arn=$(output_or_empty BatchOperationsRoleArn)
[[ -n $role_arn ]] ||
	die "stack $STACK_NAME has no Batch Operations role (it is created only when needed): deploy once with BACKFILL_ROLE=true (make deploy BACKFILL_ROLE=true), then run the backfill again"
partition=$(cut -d: -f2 <<<"$fn_arn")

BUCKET=${BUCKET:-$in_bucket}
PREFIX=${PREFIX:-}
PRIORITY=${PRIORITY:-10}
[[ $BUCKET == "$in_bucket" ]] ||
	die "BUCKET=$BUCKET: the function may read only s3://$in_bucket, the stack's input bucket (deploy with EXISTING_INPUT_BUCKET=$BUCKET to encode that one)"
[[ $PRIORITY =~ ^[0-9]{1,9}$ ]] || die "PRIORITY='$PRIORITY': want an integer from 0 to 999999999"
token="facevec-backfill-$(date -u +%Y%m%dT%H%M%SZ)-$$"

if [[ -n ${INVENTORY:-} ]]; then
	[[ $INVENTORY =~ ^s3://([^/]+)/(backfill/.+/manifest\.json)$ && ${BASH_REMATCH[1]} == "$out_bucket" ]] ||
		die "INVENTORY='$INVENTORY': want s3://$out_bucket/backfill/.../manifest.json (an S3 Inventory report delivered under backfill/ in the output bucket, where the job's role may read)"
	key=${BASH_REMATCH[2]}
	etag=$(aws_ s3api head-object --bucket "$out_bucket" --key "$key" --output json 2>"$TMP/head.err" | jq -r '.ETag // empty') ||
		die "read $INVENTORY: $(oneline "$TMP/head.err")"
	format=S3InventoryReport_CSV_20161130
	fields=null
	log "manifest: the S3 Inventory report $INVENTORY"
else
	# One CSV line per object with an image suffix: bucket,URL-encoded key
	# (the manifest format Batch Operations reads).
	aws_ s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX" --output json >"$TMP/list.json" 2>"$TMP/list.err" ||
		die "list s3://$BUCKET/$PREFIX: $(oneline "$TMP/list.err")"
	jq -r --arg b "$BUCKET" '
		.Contents[]?.Key
		| select(. as $k | any($ARGS.positional[]; . as $s | $k | endswith($s)))
		| "\($b),\(@uri)"' --args "${SUFFIXES[@]}" <"$TMP/list.json" >"$TMP/manifest.csv"
	count=$(wc -l <"$TMP/manifest.csv")
	((count > 0)) || die "no object with an image suffix (${SUFFIXES[*]}) under s3://$BUCKET/$PREFIX"
	key="backfill/manifests/$token.csv"
	etag=$(aws_ s3api put-object --bucket "$out_bucket" --key "$key" --body "$TMP/manifest.csv" \
		--content-type text/csv --output json 2>"$TMP/put.err" | jq -r '.ETag // empty') ||
		die "write the manifest to s3://$out_bucket/$key: $(oneline "$TMP/put.err")"
	format=S3BatchOperations_CSV_20180820
	fields='["Bucket","Key"]'
	log "manifest: $count objects of s3://$BUCKET/$PREFIX in s3://$out_bucket/$key"
fi
etag=${etag//\"/}
[[ -n $etag ]] || die "no ETag for the manifest s3://$out_bucket/$key"

jq -n --arg arn "arn:$partition:s3:::$out_bucket/$key" --arg etag "$etag" --arg format "$format" --argjson fields "$fields" \
	'{Spec: ({Format: $format} + (if $fields then {Fields: $fields} else {} end)), Location: {ObjectArn: $arn, ETag: $etag}}' >"$TMP/manifest.json"
jq -n --arg fn "$fn_arn" '{LambdaInvoke: {FunctionArn: $fn}}' >"$TMP/operation.json"
jq -n --arg bucket "arn:$partition:s3:::$out_bucket" \
	'{Bucket: $bucket, Prefix: "backfill/reports", Format: "Report_CSV_20180820", Enabled: true, ReportScope: "AllTasks"}' >"$TMP/report.json"

job=$(aws_ s3control create-job --account-id "$ACCOUNT" --no-confirmation-required \
	--operation "file://$TMP/operation.json" --manifest "file://$TMP/manifest.json" --report "file://$TMP/report.json" \
	--priority "$PRIORITY" --role-arn "$role_arn" --client-request-token "$token" \
	--description "facevec backfill of s3://$BUCKET/$PREFIX" --output json 2>"$TMP/job.err") ||
	die "create the Batch Operations job: $(oneline "$TMP/job.err")"
job_id=$(jq -r '.JobId // empty' <<<"$job")
[[ -n $job_id ]] || die "create-job answered no JobId: $job"
cat >&2 <<EOM
$PROG: S3 Batch Operations job $job_id invokes $fn_arn per object:
  manifest  s3://$out_bucket/$key
  results   s3://$out_bucket/$(output OutputPrefix)$BUCKET/
  report    s3://$out_bucket/backfill/reports/job-$job_id/
  follow    aws s3control describe-job --account-id $ACCOUNT --job-id $job_id --query 'Job.[Status,ProgressSummary]'
EOM
printf '%s\n' "$job_id"
