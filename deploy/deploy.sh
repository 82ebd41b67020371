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
#   EXISTING_INPUT_BUCKET use this bucket for the photos instead of creating one;
#                         fixed when the stack is created (unset later keeps it)
#   DETECTOR (hog|cnn) UPSAMPLE JITTER MAX_SIDE MAX_OBJECT_BYTES MAX_PIXELS
#   OUTPUT_PREFIX MEMORY_MB TIMEOUT_S LOG_RETENTION_DAYS
#   PERMISSIONS_BOUNDARY RESERVED_CONCURRENCY MAX_EVENT_AGE_S
#   ROLE_PATH ROLE_NAME_PREFIX (the roles' IAM path and name prefix)
#   METRICS_NAMESPACE     CloudWatch namespace of the function's EMF metrics
#                         (empty: none)
#   KMS_KEY_ARN           customer-managed key for buckets, queues, logs and
#                         the vector bucket (see deploy/README.md, "KMS")
#   BUFFER_WITH_QUEUE     true: S3 -> SQS -> Lambda (false: S3 -> Lambda);
#                         with it QUEUE_BATCH_SIZE QUEUE_BATCHING_WINDOW_S
#                         QUEUE_MAX_CONCURRENCY QUEUE_MAX_RECEIVE_COUNT
#                         QUEUE_VISIBILITY_TIMEOUT_S (see the template)
#   FACE_INDEX            S3 Vectors index of the faces (template default
#                         "faces"); set and empty turns indexing off
#   EXISTING_VECTOR_BUCKET vector bucket that already holds FACE_INDEX
#                         (default: the stack creates bucket and index)
#   ALARM_TOPIC_ARN       SNS topic for the stack's alarms (empty: none);
#                         ALARM_MAX_MESSAGE_AGE_S for the ingest queue's
#   BACKFILL_ROLE=true    create the role make backfill's S3 Batch
#                         Operations jobs run as (default false: none)
#   TAGS                  k=v,k2=v2: tags on the stack and so on every resource
#                         (besides project=facevec); unset later keeps them
#   SMOKE=0               skip the smoke test
#   AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh
set -euo pipefail
#
# The zip is uploaded with `aws s3api put-object` and the template's Code rewritten
# here, as `aws cloudformation package` would: that command (and deploy's
# --s3-bucket upload) ignores --endpoint-url in AWS CLI 2.9, so it could
# not rehearse against LocalStack.
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
int_param RESERVED_CONCURRENCY 0 1000000 ReservedConcurrency
int_param MAX_EVENT_AGE_S 60 21600 MaxEventAgeSeconds
if [[ -n ${PERMISSIONS_BOUNDARY:-} ]]; then
	[[ $PERMISSIONS_BOUNDARY =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$ ]] ||
		die "PERMISSIONS_BOUNDARY='$PERMISSIONS_BOUNDARY': want the ARN of an IAM managed policy (arn:aws:iam::<account>:policy/<name>)"
	PARAMS+=("PermissionsBoundary=$PERMISSIONS_BOUNDARY")
fi
if [[ -n ${METRICS_NAMESPACE+set} ]]; then
	[[ -z $METRICS_NAMESPACE || ($METRICS_NAMESPACE =~ ^[\ -~]{1,255}$ && $METRICS_NAMESPACE != AWS/*) ]] ||
		die "METRICS_NAMESPACE='$METRICS_NAMESPACE': want 1-255 printable ASCII characters not starting with AWS/ (empty: no metrics)"
	PARAMS+=("MetricsNamespace=$METRICS_NAMESPACE")
fi
if [[ -n ${KMS_KEY_ARN+set} ]]; then
	[[ -z $KMS_KEY_ARN || $KMS_KEY_ARN =~ ^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$ ]] ||
		die "KMS_KEY_ARN='$KMS_KEY_ARN': want the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>; not an alias), or empty"
	PARAMS+=("KmsKeyArn=$KMS_KEY_ARN")
fi
if [[ -n ${ROLE_PATH:-} ]]; then
	[[ $ROLE_PATH =~ ^/([A-Za-z0-9+=,.@_-]+/)*$ && ${#ROLE_PATH} -le 512 ]] ||
		die "ROLE_PATH='$ROLE_PATH': want an IAM path, / or /<segment>/.../ of A-Z a-z 0-9 + = , . @ _ -"
	PARAMS+=("RolePath=$ROLE_PATH")
fi
if [[ -n ${ROLE_NAME_PREFIX+set} ]]; then
	[[ $ROLE_NAME_PREFIX =~ ^[A-Za-z0-9+=,.@_-]{0,20}$ ]] ||
		die "ROLE_NAME_PREFIX='$ROLE_NAME_PREFIX': want up to 20 of A-Z a-z 0-9 + = , . @ _ - (empty: generated names)"
	PARAMS+=("RoleNamePrefix=$ROLE_NAME_PREFIX")
fi
if [[ -n ${BUFFER_WITH_QUEUE:-} ]]; then
	[[ $BUFFER_WITH_QUEUE == true || $BUFFER_WITH_QUEUE == false ]] || die "BUFFER_WITH_QUEUE='$BUFFER_WITH_QUEUE': want true or false"
	PARAMS+=("BufferWithQueue=$BUFFER_WITH_QUEUE")
fi
if [[ -n ${ALARM_TOPIC_ARN+set} ]]; then
	[[ -z $ALARM_TOPIC_ARN || $ALARM_TOPIC_ARN =~ ^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$ ]] ||
		die "ALARM_TOPIC_ARN='$ALARM_TOPIC_ARN': want the ARN of an SNS topic (arn:aws:sns:<region>:<account>:<name>), or empty for no alarms"
	PARAMS+=("AlarmTopicArn=$ALARM_TOPIC_ARN")
fi
int_param ALARM_MAX_MESSAGE_AGE_S 60 1209600 AlarmMaxMessageAgeSeconds
if [[ -n ${BACKFILL_ROLE:-} ]]; then
	[[ $BACKFILL_ROLE == true || $BACKFILL_ROLE == false ]] || die "BACKFILL_ROLE='$BACKFILL_ROLE': want true or false"
	PARAMS+=("BackfillRole=$BACKFILL_ROLE")
fi
int_param QUEUE_BATCH_SIZE 1 10000 QueueBatchSize
int_param QUEUE_BATCHING_WINDOW_S 0 300 QueueBatchingWindowSeconds
int_param QUEUE_MAX_CONCURRENCY 2 1000 QueueMaxConcurrency
int_param QUEUE_MAX_RECEIVE_COUNT 1 1000 QueueMaxReceiveCount
int_param QUEUE_VISIBILITY_TIMEOUT_S 1 43200 QueueVisibilityTimeout
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
if [[ -n ${FACE_INDEX+set} ]]; then
	[[ -z $FACE_INDEX || $FACE_INDEX =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
		die "FACE_INDEX='$FACE_INDEX': an S3 Vectors index name has 3-63 of a-z 0-9 . -, starting and ending with a letter or digit (empty: no index)"
	PARAMS+=("VectorIndex=$FACE_INDEX")
fi
if [[ -n ${EXISTING_VECTOR_BUCKET:-} ]]; then
	[[ $EXISTING_VECTOR_BUCKET =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ ]] ||
		die "EXISTING_VECTOR_BUCKET='$EXISTING_VECTOR_BUCKET' is not an S3 Vectors bucket name (3-63 of a-z 0-9 -)"
	PARAMS+=("ExistingVectorBucket=$EXISTING_VECTOR_BUCKET")
fi
EXISTING_INPUT_BUCKET=${EXISTING_INPUT_BUCKET:-}
if [[ -n $EXISTING_INPUT_BUCKET ]]; then
	[[ $EXISTING_INPUT_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
		die "EXISTING_INPUT_BUCKET='$EXISTING_INPUT_BUCKET' is not an S3 bucket name"
fi

# TAGS="k=v,k2=v2": stack tags, which CloudFormation puts on every
# resource of the stack that takes tags (nested stack included), besides
# project=facevec. Unset on a later deploy, the stack's current tags stay
# (deploy --tags replaces them, so they are passed again).
TAGS_ARGS=(project=facevec)
if [[ -n ${TAGS:-} ]]; then
	IFS=',' read -ra tag_list <<<"$TAGS"
	for tag in "${tag_list[@]}"; do
		[[ $tag =~ ^[A-Za-z0-9\ _.:/+@-]{1,128}=[A-Za-z0-9\ _.:/=+@-]{0,256}$ && $tag != aws:* && $tag != project=* ]] ||
			die "TAGS: '$tag': want key=value (a key of 1-128 and a value of up to 256 letters, digits, spaces and _ . : / = + - @; not aws:*, not project, which is facevec)"
		TAGS_ARGS+=("$tag")
	done
fi

FUNCTION_ZIP=${FUNCTION_ZIP:-$ROOT/dist/function.zip}
[[ -f $FUNCTION_ZIP ]] || die "$FUNCTION_ZIP does not exist: build it with 'make package' (or run 'make deploy')"
FUNCTION_ZIP=$(cd "$(dirname "$FUNCTION_ZIP")" && pwd)/$(basename "$FUNCTION_ZIP")
check_package "$FUNCTION_ZIP"
DEPLOY_BUCKET=${DEPLOY_BUCKET:-$STACK_NAME-$ACCOUNT-$REGION-code}
[[ $DEPLOY_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "DEPLOY_BUCKET='$DEPLOY_BUCKET' is not an S3 bucket name"

# A stack whose first create failed can only be deleted.
STACK_EXISTS=false
if load_stack; then
	STACK_EXISTS=true
	case $(stack_status) in
	ROLLBACK_COMPLETE | ROLLBACK_FAILED | DELETE_FAILED)
		die "stack $STACK_NAME is in state $(stack_status) and cannot be updated; remove it with 'make undeploy' and deploy again" ;;
	UPDATE_ROLLBACK_FAILED)
		# An update failed and so did its rollback (e.g. a resource changed
		# by hand): the stack takes no update until the rollback finishes.
		show_failures
		die "stack $STACK_NAME is in state UPDATE_ROLLBACK_FAILED (see above): fix what the rollback failed on, then 'aws cloudformation continue-update-rollback --stack-name $STACK_NAME' (with --resources-to-skip <logical ids> for resources that cannot be rolled back) and deploy again once it is UPDATE_ROLLBACK_COMPLETE" ;;
	REVIEW_IN_PROGRESS) STACK_EXISTS=false ;; # a change set never executed: deploy creates the stack anew
	*_IN_PROGRESS)
		die "stack $STACK_NAME is busy ($(stack_status)); wait for it to finish" ;;
	esac
fi

# The input bucket is fixed when the stack is created. Unset later, the
# parameter is left out, so `cloudformation deploy` keeps the stack's value
# (an override of "" would create a new bucket and leave the old one's
# notifications pointing at the function). Changing it in place would
# strand those notifications too, so that is refused.
if $STACK_EXISTS; then
	current=$(stack_parameter ExistingInputBucket)
	if [[ -n $EXISTING_INPUT_BUCKET && $EXISTING_INPUT_BUCKET != "$current" ]]; then
		die "stack $STACK_NAME takes its photos from ${current:-the bucket it created}; it cannot switch to EXISTING_INPUT_BUCKET=$EXISTING_INPUT_BUCKET in place: run 'make undeploy', then deploy again with it (or leave EXISTING_INPUT_BUCKET unset to keep the current one)"
	fi
	EXISTING_INPUT_BUCKET=$current
elif [[ -n $EXISTING_INPUT_BUCKET ]]; then
	PARAMS+=("ExistingInputBucket=$EXISTING_INPUT_BUCKET")
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

# The queue's settings that AWS refuses, or that drain into the dead-letter
# queue, checked against the values the stack will have (the env, else
# the stack's, else the template's), so a setting changed alone (TIMEOUT_S
# on a later deploy) is checked against the others too.
if [[ $(effective BUFFER_WITH_QUEUE BufferWithQueue) == true ]]; then
	batch=$(effective QUEUE_BATCH_SIZE QueueBatchSize)
	window=$(effective QUEUE_BATCHING_WINDOW_S QueueBatchingWindowSeconds)
	visibility=$(effective QUEUE_VISIBILITY_TIMEOUT_S QueueVisibilityTimeout)
	timeout=$(effective TIMEOUT_S Timeout)
	reserved=$(effective RESERVED_CONCURRENCY ReservedConcurrency)
	pollers=$(effective QUEUE_MAX_CONCURRENCY QueueMaxConcurrency)
	for v in batch window visibility timeout reserved pollers; do
		[[ ${!v} =~ ^[0-9]+$ ]] || die "stack $STACK_NAME: cannot tell its $v setting ('${!v}')"
	done
	# Lambda refuses a batch over 10 messages without a batching window.
	((batch <= 10 || window >= 1)) ||
		die "a queue batch of $batch messages needs a batching window of at least 1 s (QUEUE_BATCHING_WINDOW_S, now $window): Lambda refuses more than 10 without one"
	# Lambda refuses a mapping whose queue hides a message for less time than
	# the function may take (it would be received again while running).
	((visibility >= timeout)) ||
		die "the queue's visibility timeout ($visibility s, QUEUE_VISIBILITY_TIMEOUT_S) is below the function timeout ($timeout s, TIMEOUT_S): Lambda refuses that; AWS recommends six times the timeout ($((timeout * 6)) s)"
	# Lambda's queue poller ignores a reservation: more pollers than reserved
	# executions get throttled and burn receives towards the dead-letter queue.
	((reserved == 0 || pollers <= reserved)) ||
		die "QUEUE_MAX_CONCURRENCY=$pollers is over RESERVED_CONCURRENCY=$reserved: throttled batches would use up receives and land in the dead-letter queue"
fi

# Faces are indexed when the effective VectorIndex is not empty. S3 Vectors
# is not in every region, and CloudFormation refuses a template naming a
# type its region lacks, so template.yaml names none (the index is the
# nested vectors.yaml). Indexing in such a region is refused here, before
# anything is created, rather than by a rollback.
FACE_INDEX_EFFECTIVE=$(effective FACE_INDEX VectorIndex empty-is-a-value)
if [[ -n $FACE_INDEX_EFFECTIVE ]]; then
	if ! aws_ cloudformation describe-type --type RESOURCE --type-name AWS::S3Vectors::Index \
		--output json >/dev/null 2>"$TMP/type.err"; then
		if grep -Eq 'TypeNotFound|cannot be found' "$TMP/type.err"; then
			die "S3 Vectors is not available in $REGION (CloudFormation there has no AWS::S3Vectors::Index), so faces cannot be indexed: deploy with FACE_INDEX= (results only; deploy/README.md lists the regions), or in a region with S3 Vectors"
		fi
		die "check whether $REGION has S3 Vectors: $(oneline "$TMP/type.err")"
	fi
fi

# An existing input bucket's notifications are written after the stack
# is up; one that S3 would refuse for overlapping a configuration already
# there is named now, before anything is created. The function's ARN is
# known from its name; the queue's is not yet, so only Ids tell ours.
if [[ -n $EXISTING_INPUT_BUCKET ]]; then
	notification_config "$EXISTING_INPUT_BUCKET" "arn:$PARTITION:lambda:$REGION:$ACCOUNT:function:$STACK_NAME-encoder" add "" \
		"$([[ -n $FACE_INDEX_EFFECTIVE ]] && echo true || echo false)" >/dev/null
fi

# Stacks deployed before the index moved into vectors.yaml hold the vector
# bucket themselves. CloudFormation cannot move a resource into a nested
# stack in an update: it would create a second bucket of the same name and
# roll back. Say so instead.
if $STACK_EXISTS; then
	aws_ cloudformation list-stack-resources --stack-name "$STACK_NAME" --output json >"$TMP/resources.json" 2>"$TMP/resources.err" ||
		die "list the resources of stack $STACK_NAME: $(oneline "$TMP/resources.err")"
	if jq -e 'any(.StackResourceSummaries[]?; .ResourceType == "AWS::S3Vectors::VectorBucket")' "$TMP/resources.json" >/dev/null; then
		die "stack $STACK_NAME holds its vector bucket itself (a template from before the index moved into the nested vectors.yaml); an update cannot move it. Remove the stack with 'make undeploy' and deploy again, then rebuild the index from the results with 'facevec index' (deploy/README.md, \"Upgrading\")"
	fi
fi

# The artifact bucket, created when missing. Its default name is
# predictable and bucket names are global: another account could create
# it first and, with a policy letting us write, swap the code
# CloudFormation deploys. Every call on it therefore names the owner
# (--expected-bucket-owner: S3 answers 403 for another account's bucket),
# and one we do not own is refused. New buckets are private and encrypted
# by default (S3 Block Public Access and SSE-S3 since 2023); the one
# created here also refuses plain HTTP and expires packages after a year.
OWNER=(--expected-bucket-owner "$ACCOUNT")
if ! aws_ s3api head-bucket --bucket "$DEPLOY_BUCKET" "${OWNER[@]}" 2>"$TMP/head.err"; then
	if grep -Eq '403|Forbidden|AccessDenied' "$TMP/head.err"; then
		die "DEPLOY_BUCKET=$DEPLOY_BUCKET exists but account $ACCOUNT does not own it (or may not use it): refusing to put the function's code where another account could replace it; set DEPLOY_BUCKET to a bucket of yours"
	fi
	if ! grep -Eq '404|Not Found|NoSuchBucket' "$TMP/head.err"; then
		die "DEPLOY_BUCKET=$DEPLOY_BUCKET is not usable: $(oneline "$TMP/head.err")"
	fi
	log "creating artifact bucket s3://$DEPLOY_BUCKET"
	create=(s3api create-bucket --bucket "$DEPLOY_BUCKET")
	# us-east-1 refuses an explicit LocationConstraint for itself.
	[[ $REGION == us-east-1 ]] || create+=(--create-bucket-configuration "LocationConstraint=$REGION")
	aws_ "${create[@]}" >/dev/null 2>"$TMP/create.err" ||
		die "create s3://$DEPLOY_BUCKET: $(oneline "$TMP/create.err") (the name may have just been taken: set DEPLOY_BUCKET)"
	jq -n --arg b "arn:$PARTITION:s3:::$DEPLOY_BUCKET" '{Version: "2012-10-17", Statement: [{
		Sid: "DenyPlainHTTP", Effect: "Deny", Principal: "*", Action: "s3:*",
		Resource: [$b, ($b + "/*")], Condition: {Bool: {"aws:SecureTransport": "false"}}}]}' >"$TMP/policy.json"
	# A package is needed while a deploy (or its rollback) uses it; a year
	# later a new deploy uploads it again if it is gone.
	jq -n '{Rules: [{ID: "facevec-expire-packages", Status: "Enabled", Filter: {Prefix: ""},
		Expiration: {Days: 365}, AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7}}]}' >"$TMP/lifecycle.json"
	for step in "put-bucket-policy --policy file://$TMP/policy.json" \
		"put-bucket-lifecycle-configuration --lifecycle-configuration file://$TMP/lifecycle.json"; do
		read -ra args <<<"$step"
		if ! aws_ s3api "${args[@]}" --bucket "$DEPLOY_BUCKET" "${OWNER[@]}" 2>"$TMP/harden.err"; then
			# Emulators (LocalStack, the embedded stack) may not serve these.
			[[ -n ${AWS_ENDPOINT_URL:-} ]] || die "s3api ${args[0]} on s3://$DEPLOY_BUCKET: $(oneline "$TMP/harden.err")"
			log "the endpoint refused s3api ${args[0]} ($(oneline "$TMP/harden.err")); going on without it"
		fi
	done
fi

# upload_artifact FILE KEY uploads FILE to s3://DEPLOY_BUCKET/KEY unless
# it is there already (the key holds the file's MD5, so the same key is
# the same content), with put-object: `aws s3 cp` has no
# --expected-bucket-owner in CLI 2.9.
upload_artifact() {
	local file=$1 key=$2
	if aws_ s3api head-object --bucket "$DEPLOY_BUCKET" --key "$key" "${OWNER[@]}" >/dev/null 2>"$TMP/head.err"; then
		log "s3://$DEPLOY_BUCKET/$key is already there (same content)"
		return 0
	fi
	grep -Eq '404|Not Found|NoSuchKey' "$TMP/head.err" ||
		die "check s3://$DEPLOY_BUCKET/$key: $(oneline "$TMP/head.err")"
	log "uploading $file to s3://$DEPLOY_BUCKET/$key"
	aws_ s3api put-object --bucket "$DEPLOY_BUCKET" --key "$key" --body "$file" "${OWNER[@]}" >/dev/null 2>"$TMP/cp.err" ||
		die "upload $file to s3://$DEPLOY_BUCKET/$key: $(oneline "$TMP/cp.err")"
}

# replace_line OLD NEW rewrites the one line OLD of the packaged template.
replace_line() {
	[[ $(grep -cxF -- "$1" "$TMP/packaged.yaml") == 1 ]] ||
		die "$DEPLOY_DIR/template.yaml: want exactly one line '$1' to point at the upload"
	awk -v line="$1" -v new="$2" '$0 == line { print new; next } { print }' "$TMP/packaged.yaml" >"$TMP/packaged.new"
	mv "$TMP/packaged.new" "$TMP/packaged.yaml"
}

# What `aws cloudformation package` does, done with calls that honour the
# endpoint: the zip goes to s3://DEPLOY_BUCKET/STACK_NAME/<md5 of the zip>
# (the key package would choose, so an unchanged zip is neither uploaded
# nor deployed again) and the template's Code points there; the nested
# vectors.yaml goes to <md5>.template beside it and TemplateURL points
# there (a path-style URL, as package writes it).
code_key="$STACK_NAME/$(md5_of "$FUNCTION_ZIP")"
upload_artifact "$FUNCTION_ZIP" "$code_key"
nested_key="$STACK_NAME/$(md5_of "$DEPLOY_DIR/vectors.yaml").template"
upload_artifact "$DEPLOY_DIR/vectors.yaml" "$nested_key"
if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
	nested_url="${AWS_ENDPOINT_URL%/}/$DEPLOY_BUCKET/$nested_key"
else
	nested_url="https://s3.$REGION.$(dns_suffix)/$DEPLOY_BUCKET/$nested_key"
fi
cp "$DEPLOY_DIR/template.yaml" "$TMP/packaged.yaml"
replace_line '      Code: ../dist/function.zip' "      Code: {S3Bucket: \"$DEPLOY_BUCKET\", S3Key: \"$code_key\"}"
replace_line '      TemplateURL: vectors.yaml' "      TemplateURL: \"$nested_url\""

if [[ -z ${TAGS:-} ]] && $STACK_EXISTS; then
	TAGS_ARGS=()
	while IFS= read -r tag; do TAGS_ARGS+=("$tag"); done < <(jq -r '(.Stacks[0].Tags // [])[] | "\(.Key)=\(.Value)"' <<<"$STACK_JSON")
	((${#TAGS_ARGS[@]} > 0)) || TAGS_ARGS=(project=facevec)
fi
log "deploying stack $STACK_NAME (${PARAMS[*]:-no parameter changes})"
# No --s3-bucket: deploy would upload the template with the same
# endpoint-blind S3 client; the template stays under CloudFormation's
# 51,200-byte inline limit (deploy's Go tests check it). A parameter left
# out keeps the stack's current value, or takes the template default.
deploy=(cloudformation deploy --template-file "$TMP/packaged.yaml" --stack-name "$STACK_NAME"
	--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset --tags "${TAGS_ARGS[@]}")
((${#PARAMS[@]} == 0)) || deploy+=(--parameter-overrides "${PARAMS[@]}")
if ! aws_ "${deploy[@]}"; then
	log "stack $STACK_NAME failed; the failed resources said:"
	show_failures
	die "deploy failed (see above; 'make undeploy' removes a stack whose creation failed)"
fi

load_stack || die "stack $STACK_NAME is gone right after deploying it"
in_bucket=$(output InputBucketName)
in_created=$(output InputBucketCreated)
if [[ $in_created != true ]]; then
	# CloudFormation cannot configure a bucket it does not own.
	arn=$(output FunctionArn)
	queue=$(output_or_empty IngestQueueArn)
	log "wiring s3://$in_bucket notifications (${#SUFFIXES[@]} suffixes) to ${queue:-the function}"
	indexed=false
	[[ -z $(output_or_empty VectorIndexName) ]] || indexed=true
	notification_config "$in_bucket" "$arn" add "$queue" "$indexed" >"$TMP/notification.json"
	put_notifications "$in_bucket" "$TMP/notification.json"
	# These live outside CloudFormation: a stack deleted any other way than
	# make undeploy leaves them pointing at a deleted target, and S3 then
	# refuses every change of the bucket's notifications that keeps them.
	log "note: s3://$in_bucket's notifications to this stack are not part of the stack; remove the stack with 'make undeploy'. If it was deleted otherwise: STACK_NAME=$STACK_NAME EXISTING_INPUT_BUCKET=$in_bucket deploy/undeploy.sh removes them"
fi

out_bucket=$(output OutputBucketName)
prefix=$(output OutputPrefix)
fn_arn=$(output FunctionArn)
log_group=$(output LogGroupName)
dlq=$(output DeadLetterQueueUrl)
# "<vector bucket>/<index>", or "off" when faces are not indexed.
vec=$(jq -r '[(.Stacks[0].Outputs // [])[] | select(.OutputKey == "VectorBucketName" or .OutputKey == "VectorIndexName")]
	| sort_by(.OutputKey) | map(.OutputValue) | if length == 2 then join("/") else "off" end' <<<"$STACK_JSON")
cat >&2 <<EOF
$PROG: stack $STACK_NAME is up:
  input bucket   s3://$in_bucket
  output         s3://$out_bucket/$prefix
  function       $fn_arn
  log group      $log_group
  failed events  $dlq
  vector index   $vec (VECTOR_BUCKET/VECTOR_INDEX for facevec search)
EOF

if [[ ${SMOKE:-1} != 0 ]]; then
	"$DEPLOY_DIR/smoke.sh"
fi
