#!/usr/bin/env bash
# deploy.sh: put facevec on AWS (make deploy). One CloudFormation stack from
# deploy/template.yaml, through the stock `aws cloudformation package` (the
# zip goes to DEPLOY_BUCKET) and `aws cloudformation deploy`; then the smoke
# test (deploy/smoke.sh) unless SMOKE=0.
#
# Environment (unset = the template's default on the first deploy, the
# stack's current value on later ones, as `aws cloudformation deploy` does):
#   STACK_NAME            stack name, part of the bucket names (default facevec)
#   DEPLOY_BUCKET         bucket for the packaged zip and template; created when
#                         missing (default <stack>-<account>-<region>-code)
#   FUNCTION_ZIP          the deployment package (default dist/function.zip)
#   EXISTING_INPUT_BUCKET use this bucket for the photos instead of creating one
#                         (always applied: unset means "create one")
#   DETECTOR (hog|cnn) UPSAMPLE JITTER MAX_SIDE MAX_OBJECT_BYTES MAX_PIXELS
#   OUTPUT_PREFIX MEMORY_MB TIMEOUT_S LOG_RETENTION_DAYS
#   SMOKE=0               skip the smoke test
#   AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init deploy

# int_param NAME MIN MAX PARAMETER: validates env NAME, when set, and adds
# it to the parameter overrides.
PARAMS=()
int_param() {
	local name=$1 lo=$2 hi=$3 param=$4 v
	v=${!name:-}
	[[ -n $v ]] || return 0
	if ! [[ $v =~ ^[0-9]{1,12}$ ]] || ((10#$v < lo || 10#$v > hi)); then
		die "$name='$v': want an integer from $lo to $hi"
	fi
	PARAMS+=("$param=$((10#$v))")
}

preflight
check_stack_name

# Parameters, all checked before anything is created.
if [[ -n ${DETECTOR:-} ]]; then
	[[ $DETECTOR == hog || $DETECTOR == cnn ]] || die "DETECTOR='$DETECTOR': want hog or cnn"
	PARAMS+=("Detector=$DETECTOR")
fi
int_param UPSAMPLE 0 4 Upsample
int_param JITTER 0 100 Jitter
int_param MAX_SIDE 0 100000 MaxSide
int_param MAX_OBJECT_BYTES 1 10737418240 MaxObjectBytes
int_param MAX_PIXELS 1 2147483648 MaxPixels
int_param MEMORY_MB 128 10240 MemorySize
int_param TIMEOUT_S 1 900 Timeout
if [[ -n ${LOG_RETENTION_DAYS:-} ]]; then
	retentions=" 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653 "
	[[ $LOG_RETENTION_DAYS =~ ^[0-9]+$ && $retentions == *" $LOG_RETENTION_DAYS "* ]] ||
		die "LOG_RETENTION_DAYS='$LOG_RETENTION_DAYS': CloudWatch Logs accepts only$retentions"
	PARAMS+=("LogRetentionInDays=$LOG_RETENTION_DAYS")
fi
if [[ -n ${OUTPUT_PREFIX:-} ]]; then
	[[ $OUTPUT_PREFIX =~ ^[A-Za-z0-9][A-Za-z0-9!_.\'\(\)/-]{0,511}$ ]] ||
		die "OUTPUT_PREFIX='$OUTPUT_PREFIX': use 1-512 of A-Z a-z 0-9 ! _ . ' ( ) / -, starting with a letter or digit"
	PARAMS+=("OutputPrefix=$OUTPUT_PREFIX")
fi
EXISTING_INPUT_BUCKET=${EXISTING_INPUT_BUCKET:-}
if [[ -n $EXISTING_INPUT_BUCKET ]]; then
	[[ $EXISTING_INPUT_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
		die "EXISTING_INPUT_BUCKET='$EXISTING_INPUT_BUCKET' is not an S3 bucket name"
fi
PARAMS+=("ExistingInputBucket=$EXISTING_INPUT_BUCKET")

FUNCTION_ZIP=${FUNCTION_ZIP:-$ROOT/dist/function.zip}
[[ -f $FUNCTION_ZIP ]] || die "$FUNCTION_ZIP does not exist: build it with 'make package' (or run 'make deploy')"
DEPLOY_BUCKET=${DEPLOY_BUCKET:-$STACK_NAME-$ACCOUNT-$REGION-code}
[[ $DEPLOY_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "DEPLOY_BUCKET='$DEPLOY_BUCKET' is not an S3 bucket name"

# A stack whose first create failed can only be deleted.
if load_stack; then
	case $(stack_status) in
	ROLLBACK_COMPLETE | ROLLBACK_FAILED | DELETE_FAILED)
		die "stack $STACK_NAME is in state $(stack_status) and cannot be updated; remove it with 'make undeploy' and deploy again" ;;
	REVIEW_IN_PROGRESS) ;; # a change set never executed: deploy creates it anew
	*_IN_PROGRESS)
		die "stack $STACK_NAME is busy ($(stack_status)); wait for it to finish" ;;
	esac
fi

# An existing input bucket must be in the stack's region: S3 only notifies
# functions of its own region.
if [[ -n $EXISTING_INPUT_BUCKET ]]; then
	loc=$(aws_ s3api get-bucket-location --bucket "$EXISTING_INPUT_BUCKET" --output json 2>"$TMP/loc.err") ||
		die "EXISTING_INPUT_BUCKET=$EXISTING_INPUT_BUCKET: $(oneline "$TMP/loc.err")"
	loc=$(jq -r '.LocationConstraint // "" | if . == "" then "us-east-1" elif . == "EU" then "eu-west-1" else . end' <<<"$loc")
	[[ $loc == "$REGION" ]] ||
		die "EXISTING_INPUT_BUCKET=$EXISTING_INPUT_BUCKET is in $loc, the stack would be in $REGION: S3 notifies functions of its own region only (set AWS_REGION=$loc)"
fi

# The artifact bucket, created when missing. New buckets are private and
# encrypted by default (S3 Block Public Access and SSE-S3 since 2023).
if ! aws_ s3api head-bucket --bucket "$DEPLOY_BUCKET" 2>"$TMP/head.err"; then
	if ! grep -Eq '404|Not Found|NoSuchBucket' "$TMP/head.err"; then
		die "DEPLOY_BUCKET=$DEPLOY_BUCKET is not usable: $(oneline "$TMP/head.err") (another account may own that name; set DEPLOY_BUCKET)"
	fi
	log "creating artifact bucket s3://$DEPLOY_BUCKET"
	create=(s3api create-bucket --bucket "$DEPLOY_BUCKET")
	# us-east-1 refuses an explicit LocationConstraint for itself.
	[[ $REGION == us-east-1 ]] || create+=(--create-bucket-configuration "LocationConstraint=$REGION")
	aws_ "${create[@]}" >/dev/null
fi

# The template names its code ../dist/function.zip; a copy beside a link to
# FUNCTION_ZIP lets any zip be packaged without editing the template.
mkdir -p "$TMP/src/deploy" "$TMP/src/dist"
cp "$DEPLOY_DIR/template.yaml" "$TMP/src/deploy/template.yaml"
ln -s "$(cd "$(dirname "$FUNCTION_ZIP")" && pwd)/$(basename "$FUNCTION_ZIP")" "$TMP/src/dist/function.zip"

log "packaging $FUNCTION_ZIP into s3://$DEPLOY_BUCKET/$STACK_NAME/"
aws_ cloudformation package --template-file "$TMP/src/deploy/template.yaml" \
	--s3-bucket "$DEPLOY_BUCKET" --s3-prefix "$STACK_NAME" \
	--output-template-file "$TMP/packaged.yaml" >/dev/null

log "deploying stack $STACK_NAME (${PARAMS[*]})"
if ! aws_ cloudformation deploy --template-file "$TMP/packaged.yaml" --stack-name "$STACK_NAME" \
	--s3-bucket "$DEPLOY_BUCKET" --s3-prefix "$STACK_NAME" \
	--capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
	--tags project=facevec \
	--parameter-overrides "${PARAMS[@]}"; then
	log "stack $STACK_NAME failed; the failed resources said:"
	show_failures
	die "deploy failed (see above; 'make undeploy' removes a stack whose creation failed)"
fi

load_stack || die "stack $STACK_NAME is gone right after deploying it"
in_bucket=$(output InputBucketName)
in_created=$(output InputBucketCreated)
if [[ $in_created != true ]]; then
	# CloudFormation cannot configure a bucket it does not own.
	log "wiring s3://$in_bucket notifications (${#SUFFIXES[@]} suffixes) to the function"
	arn=$(output FunctionArn)
	notification_config "$in_bucket" "$arn" add >"$TMP/notification.json"
	put_notifications "$in_bucket" "$TMP/notification.json"
fi

out_bucket=$(output OutputBucketName)
prefix=$(output OutputPrefix)
fn_arn=$(output FunctionArn)
log_group=$(output LogGroupName)
dlq=$(output DeadLetterQueueUrl)
cat >&2 <<EOF
$PROG: stack $STACK_NAME is up:
  input bucket   s3://$in_bucket
  output         s3://$out_bucket/$prefix
  function       $fn_arn
  log group      $log_group
  failed events  $dlq
EOF

if [[ ${SMOKE:-1} != 0 ]]; then
	"$DEPLOY_DIR/smoke.sh"
fi
