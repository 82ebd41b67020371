#!/usr/bin/env bash
# undeploy.sh: remove what deploy.sh made (make undeploy). Empties the
# buckets the stack created, and only those (an EXISTING_INPUT_BUCKET keeps
# its objects, losing just this stack's notifications), then deletes the
# stack and waits for it to go. DEPLOY_BUCKET, which deploy.sh may have
# created for the packaged artifacts, is left alone: it may serve other
# stacks; the command to remove it is printed.
#
# Environment: STACK_NAME (default facevec); AWS_ENDPOINT_URL, AWS_REGION,
# AWS_CLI: see lib.sh.
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
			--output json 2>"$TMP/list.err"); then
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
			--output json >"$TMP/deleted.json" 2>"$TMP/delete.err" ||
			die "delete objects in s3://$bucket: $(oneline "$TMP/delete.err")"
		[[ -s $TMP/deleted.json ]] || echo '{}' >"$TMP/deleted.json"
		errors=$(jq '(.Errors // []) | length' "$TMP/deleted.json")
		((errors == 0)) ||
			die "s3://$bucket: $errors objects could not be deleted, e.g. $(jq -c '.Errors[0]' "$TMP/deleted.json")"
		total=$((total + count))
	done
	log "emptied s3://$bucket ($total objects and versions)"
}

preflight
if ! load_stack; then
	log "stack $STACK_NAME does not exist in $REGION: nothing to remove"
	exit 0
fi

# The buckets the stack owns, from the stack itself rather than from names
# guessed here: an EXISTING_INPUT_BUCKET is not among them.
aws_ cloudformation list-stack-resources --stack-name "$STACK_NAME" --output json >"$TMP/resources.json" 2>"$TMP/resources.err" ||
	die "list the resources of stack $STACK_NAME: $(oneline "$TMP/resources.err")"
owned=()
while IFS= read -r b; do owned+=("$b"); done < <(jq -r '.StackResourceSummaries[]
	| select(.ResourceType == "AWS::S3::Bucket" and (.ResourceStatus | startswith("DELETE") | not) and (.PhysicalResourceId // "") != "")
	| .PhysicalResourceId' "$TMP/resources.json")

# An input bucket the stack does not own keeps everything but our
# notifications, which would otherwise point at a deleted function.
in_bucket=$(jq -r '(.Stacks[0].Outputs // []) | map(select(.OutputKey == "InputBucketName")) | .[0].OutputValue // empty' <<<"$STACK_JSON")
fn_arn=$(jq -r '(.Stacks[0].Outputs // []) | map(select(.OutputKey == "FunctionArn")) | .[0].OutputValue // empty' <<<"$STACK_JSON")
if [[ -n $in_bucket && -n $fn_arn ]] && ! printf '%s\n' ${owned[@]+"${owned[@]}"} | grep -qxF "$in_bucket"; then
	log "removing this stack's notifications from s3://$in_bucket (its objects stay)"
	notification_config "$in_bucket" "$fn_arn" remove >"$TMP/notification.json"
	put_notifications "$in_bucket" "$TMP/notification.json"
fi

for bucket in ${owned[@]+"${owned[@]}"}; do
	empty_bucket "$bucket"
done

log "deleting stack $STACK_NAME"
aws_ cloudformation delete-stack --stack-name "$STACK_NAME"
if ! aws_ cloudformation wait stack-delete-complete --stack-name "$STACK_NAME"; then
	show_failures
	die "stack $STACK_NAME was not deleted (see above)"
fi
log "stack $STACK_NAME deleted"
deploy_bucket=${DEPLOY_BUCKET:-$STACK_NAME-$ACCOUNT-$REGION-code}
log "the artifact bucket (DEPLOY_BUCKET) is kept; if it is $deploy_bucket and nothing else uses it: aws s3 rb --force s3://$deploy_bucket"
