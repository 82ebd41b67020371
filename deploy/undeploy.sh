#!/usr/bin/env bash
# undeploy.sh: remove what deploy.sh made (make undeploy). It asks first:
# CONFIRM=<stack name>, or, on a terminal, a prompt that shows what would
# be deleted (buckets with their object counts, the face index). Then it
# detaches the stack's notifications from the input bucket (so emptying
# it invokes nothing), deletes the stack and waits for it to go, and only
# then, unless KEEP_DATA=1, empties and deletes the data the template
# retains (DeletionPolicy: Retain on the buckets the stack created and on
# the vector bucket and index): a failed stack deletion loses nothing.
# An EXISTING_INPUT_BUCKET keeps its objects, losing just this stack's
# notifications. DEPLOY_BUCKET, which deploy.sh may have created for the
# packaged artifacts, is left alone: it may serve other stacks; the
# command to remove it is printed.
#
# Environment:
#   CONFIRM=<stack name>  go ahead without a prompt (required without a terminal)
#   KEEP_DATA=1           keep the photos, results and face index: delete
#                         only the stack (its function, roles, queues, logs)
#   EXISTING_INPUT_BUCKET when the stack is already gone (deleted from the
#                         console): remove its notifications from this bucket
#   STACK_NAME (default facevec); AWS_ENDPOINT_URL, AWS_REGION, AWS_CLI: see lib.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init undeploy

# empty_bucket BUCKET deletes every object version and delete marker, a
# page (at most 1000) at a time, so that CloudFormation can delete it.
empty_bucket() {
	local bucket=$1 total=0 count errors page last=""
	while :; do
		if ! page=$(aws_ s3api list-object-versions --bucket "$bucket" --max-keys 1000 --no-paginate \
			--expected-bucket-owner "$ACCOUNT" --output json 2>"$TMP/list.err"); then
			if grep -q 'NoSuchBucket' "$TMP/list.err"; then
				log "s3://$bucket is already gone"
				return 0
			fi
			die "list s3://$bucket: $(oneline "$TMP/list.err")"
		fi
		[[ -n $page ]] || page='{}'
		jq -c '{Objects: [(.Versions // [])[], (.DeleteMarkers // [])[] | {Key, VersionId}], Quiet: true}' \
			<<<"$page" >"$TMP/delete.json"
		count=$(jq '.Objects | length' "$TMP/delete.json")
		((count > 0)) || break
		# A page that does not shrink would loop forever.
		[[ $(cat "$TMP/delete.json") != "$last" ]] || die "s3://$bucket: the same objects are listed again after deleting them"
		last=$(cat "$TMP/delete.json")
		aws_ s3api delete-objects --bucket "$bucket" --delete "file://$TMP/delete.json" \
			--expected-bucket-owner "$ACCOUNT" --output json >"$TMP/deleted.json" 2>"$TMP/delete.err" ||
			die "delete objects in s3://$bucket: $(oneline "$TMP/delete.err")"
		[[ -s $TMP/deleted.json ]] || echo '{}' >"$TMP/deleted.json"
		errors=$(jq '(.Errors // []) | length' "$TMP/deleted.json")
		((errors == 0)) ||
			die "s3://$bucket: $errors objects could not be deleted, e.g. $(jq -c '.Errors[0]' "$TMP/deleted.json")"
		total=$((total + count))
	done
	log "emptied s3://$bucket ($total objects and versions)"
}

# count_objects BUCKET prints how many objects (versions included) the
# bucket holds, from the first page of at most 1000 ("1000 or more").
count_objects() {
	local n
	n=$(aws_ s3api list-object-versions --bucket "$1" --max-keys 1000 --no-paginate --output json 2>/dev/null |
		jq '[(.Versions // [])[], (.DeleteMarkers // [])[]] | length' 2>/dev/null) || n="?"
	[[ $n != 1000 ]] || n="1000 or more"
	printf '%s\n' "${n:-0}"
}

# delete_vectors BUCKET INDEX deletes the face index and its vector bucket;
# a CLI without the s3vectors commands (before 2.27) gets the commands to
# run printed instead.
delete_vectors() {
	local bucket=$1 index=$2
	if ! aws_ s3vectors delete-index --vector-bucket-name "$bucket" --index-name "$index" 2>"$TMP/vec.err"; then
		if grep -Eq 'Invalid choice|invalid choice' "$TMP/vec.err"; then
			log "this AWS CLI has no s3vectors commands: the face index is kept. With a newer CLI: aws s3vectors delete-index --vector-bucket-name $bucket --index-name $index && aws s3vectors delete-vector-bucket --vector-bucket-name $bucket"
			return 0
		fi
		grep -q 'NotFound' "$TMP/vec.err" || die "delete the index $bucket/$index: $(oneline "$TMP/vec.err")"
	fi
	aws_ s3vectors delete-vector-bucket --vector-bucket-name "$bucket" 2>"$TMP/vec.err" || grep -q 'NotFound' "$TMP/vec.err" ||
		die "delete the vector bucket $bucket: $(oneline "$TMP/vec.err")"
	log "deleted the face index $bucket/$index"
}

preflight
if ! load_stack; then
	# The repair after a deletion that did not go through this script (the
	# console, delete-stack): an existing input bucket keeps this stack's
	# notifications, which point at a deleted function or queue, and S3
	# then refuses every change of that bucket's notifications that keeps
	# them. They are this stack's by their Id prefix.
	if [[ -n ${EXISTING_INPUT_BUCKET:-} ]]; then
		log "stack $STACK_NAME is gone; removing its notifications (Id facevec-$STACK_NAME-*) from s3://$EXISTING_INPUT_BUCKET"
		notification_config "$EXISTING_INPUT_BUCKET" "" remove >"$TMP/notification.json"
		put_notifications "$EXISTING_INPUT_BUCKET" "$TMP/notification.json"
		exit 0
	fi
	log "stack $STACK_NAME does not exist in $REGION: nothing to remove"
	exit 0
fi
KEEP_DATA=${KEEP_DATA:-0}
[[ $KEEP_DATA == 0 || $KEEP_DATA == 1 ]] || die "KEEP_DATA='$KEEP_DATA': want 1 (keep the data) or 0"

# The buckets the stack owns, from the stack itself rather than from names
# guessed here: an EXISTING_INPUT_BUCKET is not among them. DELETE_SKIPPED
# ones count: a failed create rolls back around the retained buckets,
# which stay (empty) and would block the next deploy.
aws_ cloudformation list-stack-resources --stack-name "$STACK_NAME" --output json >"$TMP/resources.json" 2>"$TMP/resources.err" ||
	die "list the resources of stack $STACK_NAME: $(oneline "$TMP/resources.err")"
owned=()
while IFS= read -r b; do owned+=("$b"); done < <(jq -r '.StackResourceSummaries[]
	| select(.ResourceType == "AWS::S3::Bucket" and .ResourceStatus != "DELETE_COMPLETE" and (.PhysicalResourceId // "") != "")
	| .PhysicalResourceId' "$TMP/resources.json")
# The face index, when the stack created it (the nested FaceIndexStack);
# one in an EXISTING_VECTOR_BUCKET is not the stack's to delete.
# After a failed create the nested stack is gone but its retained vector
# bucket may not be, and the stack has no outputs: the names are the
# template's.
vec_bucket="" vec_index=""
if jq -e 'any(.StackResourceSummaries[]?; .LogicalResourceId == "FaceIndexStack")' "$TMP/resources.json" >/dev/null; then
	vec_bucket=$(output_or_empty VectorBucketName)
	vec_index=$(output_or_empty VectorIndexName)
	[[ -n $vec_bucket ]] || vec_bucket=$STACK_NAME-$ACCOUNT-$REGION-vectors
	[[ -n $vec_index ]] || vec_index=$(stack_parameter VectorIndex)
	[[ -n $vec_index ]] || vec_index=$(template_default VectorIndex)
fi

# A stack deployed from a template before the data resources were
# retained (RetainExceptOnCreate) deletes its buckets with it, and
# CloudFormation refuses to delete one that holds objects.
if ! body=$(aws_ cloudformation get-template --stack-name "$STACK_NAME" --query TemplateBody --output text 2>"$TMP/tpl.err"); then
	die "read the template of stack $STACK_NAME: $(oneline "$TMP/tpl.err")"
fi
legacy=false
[[ $body == *RetainExceptOnCreate* ]] || legacy=true
# Its index, if any, is in the stack itself and goes with it.
legacy_index=false
! $legacy || ! jq -e 'any(.StackResourceSummaries[]?; .ResourceType == "AWS::S3Vectors::Index" and .ResourceStatus != "DELETE_COMPLETE")' "$TMP/resources.json" >/dev/null || legacy_index=true

in_bucket=$(output_or_empty InputBucketName)
fn_arn=$(output_or_empty FunctionArn)
queue_arn=$(output_or_empty IngestQueueArn)

# Ask. The data goes unless KEEP_DATA=1, so the prompt says what.
{
	printf '%s: stack %s in %s (account %s) will be deleted: its function, roles, queues and log group.\n' "$PROG" "$STACK_NAME" "$REGION" "$ACCOUNT"
	if [[ $KEEP_DATA == 1 ]]; then
		printf '  KEEP_DATA=1: kept: %s%s\n' "${owned[*]:-no bucket}" "${vec_bucket:+, the face index $vec_bucket/$vec_index}"
		! $legacy_index || printf '  DELETED with the stack (an older template holds it): the face index; facevec index rebuilds it from the kept results\n'
	else
		for b in ${owned[@]+"${owned[@]}"}; do
			printf '  DELETED with all its objects: s3://%s (%s objects)\n' "$b" "$(count_objects "$b")"
		done
		[[ -z $vec_bucket ]] || printf '  DELETED: the face index %s/%s\n' "$vec_bucket" "$vec_index"
		printf '  (KEEP_DATA=1 keeps them)\n'
	fi
} >&2
if [[ ${CONFIRM:-} != "$STACK_NAME" ]]; then
	[[ -z ${CONFIRM:-} ]] || die "CONFIRM='$CONFIRM' is not the stack's name ($STACK_NAME): nothing done"
	[[ -t 0 ]] || die "nothing done: confirm with CONFIRM=$STACK_NAME (make undeploy CONFIRM=$STACK_NAME), or run on a terminal to be asked"
	read -r -p "Type the stack name ($STACK_NAME) to go ahead: " answer
	[[ $answer == "$STACK_NAME" ]] || die "not confirmed: nothing done"
fi

# Detach first: the input bucket stops invoking the function (or filling
# its queue) before anything is deleted, so emptying it later costs no
# invocation, and a bucket that outlives the stack (an existing one, or a
# retained one) keeps no notification to a deleted target, which would
# make S3 refuse every later change of its notifications.
if [[ -n $in_bucket && -n $fn_arn ]]; then
	log "removing this stack's notifications from s3://$in_bucket"
	notification_config "$in_bucket" "$fn_arn" remove "$queue_arn" >"$TMP/notification.json"
	put_notifications "$in_bucket" "$TMP/notification.json"
fi

# An older stack deletes its buckets itself: emptied first (what was just
# confirmed), or, with KEEP_DATA=1, kept by retaining them once the
# deletion has failed on them (the only state that allows it).
if $legacy && [[ $KEEP_DATA == 0 ]]; then
	log "stack $STACK_NAME is from an older template that deletes its buckets with it: emptying them first"
	for bucket in ${owned[@]+"${owned[@]}"}; do empty_bucket "$bucket"; done
fi
log "deleting stack $STACK_NAME"
aws_ cloudformation delete-stack --stack-name "$STACK_NAME"
if ! aws_ cloudformation wait stack-delete-complete --stack-name "$STACK_NAME"; then
	ids=""
	if $legacy && [[ $KEEP_DATA == 1 ]] &&
		aws_ cloudformation list-stack-resources --stack-name "$STACK_NAME" --output json >"$TMP/failed.json" 2>/dev/null; then
		ids=$(jq -r '[.StackResourceSummaries[] | select(.ResourceType == "AWS::S3::Bucket" and .ResourceStatus == "DELETE_FAILED") | .LogicalResourceId] | join(" ")' "$TMP/failed.json")
	fi
	if [[ -n $ids ]]; then
		log "the older template cannot delete the non-empty buckets; deleting the stack again, keeping $ids"
		# shellcheck disable=SC2086 # one argument per logical id
		aws_ cloudformation delete-stack --stack-name "$STACK_NAME" --retain-resources $ids
	fi
	if ! aws_ cloudformation wait stack-delete-complete --stack-name "$STACK_NAME"; then
		show_failures
		$legacy && [[ $KEEP_DATA == 0 ]] &&
			die "stack $STACK_NAME was not deleted (see above); its buckets were emptied as confirmed: run make undeploy again"
		die "stack $STACK_NAME was not deleted (see above); its data is untouched"
	fi
fi
log "stack $STACK_NAME deleted"

if [[ $KEEP_DATA == 1 ]]; then
	for b in ${owned[@]+"${owned[@]}"}; do log "kept s3://$b (remove it with: aws s3 rb --force s3://$b)"; done
	[[ -z $vec_bucket ]] || log "kept the face index $vec_bucket/$vec_index (a new stack uses it with EXISTING_VECTOR_BUCKET=$vec_bucket FACE_INDEX=$vec_index)"
	[[ ${#owned[@]} == 0 ]] || log "a new stack of the same name cannot create buckets of these names: remove them first, or deploy under another STACK_NAME (with EXISTING_INPUT_BUCKET=<the kept -in bucket> to use the photos)"
else
	for bucket in ${owned[@]+"${owned[@]}"}; do
		empty_bucket "$bucket"
		aws_ s3api delete-bucket --bucket "$bucket" --expected-bucket-owner "$ACCOUNT" 2>"$TMP/rb.err" ||
			grep -q 'NoSuchBucket' "$TMP/rb.err" || die "delete s3://$bucket: $(oneline "$TMP/rb.err")"
		log "deleted s3://$bucket"
	done
	[[ -z $vec_bucket ]] || delete_vectors "$vec_bucket" "$vec_index"
fi
deploy_bucket=${DEPLOY_BUCKET:-$STACK_NAME-$ACCOUNT-$REGION-code}
log "the artifact bucket (DEPLOY_BUCKET) is kept; if it is $deploy_bucket and nothing else uses it: aws s3 rb --force s3://$deploy_bucket"
