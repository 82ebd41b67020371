# shellcheck shell=bash
# lib.sh: what deploy.sh, undeploy.sh and smoke.sh share. Sourced, not run.
#
# Environment read here:
#   AWS_CLI           the aws binary (default /usr/bin/aws when present, else aws on PATH)
#   AWS_ENDPOINT_URL  send every call there (LocalStack: http://localhost.localstack.cloud:4566)
#   AWS_REGION, AWS_DEFAULT_REGION, or `aws configure get region`: the region (required)
#   STACK_NAME        the CloudFormation stack (default facevec)

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
ROOT=$(cd "$DEPLOY_DIR/.." && pwd)
STACK_NAME=${STACK_NAME:-facevec}

# The image suffixes that trigger the function: the template's list, used
# here for an existing input bucket, which CloudFormation cannot configure.
# deploy's Go tests keep it equal to the template and the provisioner.
SUFFIXES=(.jpg .jpeg .png .gif .webp .bmp .tif .tiff .heic .heif .avif .JPG .JPEG .PNG .GIF .WEBP .BMP .TIF .TIFF .HEIC .HEIF .AVIF)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

# init PROG: names the script in messages and gives it a scratch directory
# that is removed however the script ends.
init() {
	PROG=$1
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/facevec-deploy.XXXXXX")
	trap 'rm -rf "$TMP"' EXIT
}

# AWS_ARGS go before every call's own arguments: the endpoint (passed
# explicitly, since only recent CLIs read AWS_ENDPOINT_URL themselves and
# an old one would silently talk to real AWS) and the region.
AWS_ARGS=()
aws_() { "$AWS" ${AWS_ARGS[@]+"${AWS_ARGS[@]}"} "$@"; }

# oneline prints a file's text on one line, for error messages.
oneline() { tr -s '\n\t ' '   ' <"$1" | sed 's/ *$//'; }

# preflight checks tools, region and credentials before anything is
# touched, and sets AWS, REGION, ACCOUNT, PARTITION.
preflight() {
	if [[ -n ${AWS_CLI:-} ]]; then
		AWS=$AWS_CLI
	elif [[ -x /usr/bin/aws ]]; then
		AWS=/usr/bin/aws
	elif command -v aws >/dev/null 2>&1; then
		AWS=aws
	else
		die "the AWS CLI is not installed (make deps installs it; or see the AWS CLI install guide)"
	fi
	command -v jq >/dev/null 2>&1 || die "jq is required (apt-get install jq, brew install jq)"
	if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
		AWS_ARGS+=(--endpoint-url "$AWS_ENDPOINT_URL")
	fi

	REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
	if [[ -z $REGION ]]; then
		REGION=$("$AWS" configure get region 2>/dev/null || true)
	fi
	[[ -n $REGION ]] || die "no AWS region configured: export AWS_REGION=<region> (e.g. eu-west-1) or run 'aws configure'"
	# Two to four letters first: eusc-de-east-1 (the European Sovereign
	# Cloud), us-isob-east-1 and the like are regions too.
	[[ $REGION =~ ^[a-z]{2,4}(-[a-z]+)+-[0-9]+$ ]] || die "AWS region '$REGION' does not look like a region name (e.g. eu-west-1)"
	AWS_ARGS+=(--region "$REGION")

	local ident
	if ! ident=$(aws_ sts get-caller-identity --output json 2>"$TMP/sts.err"); then
		die "no usable AWS credentials: 'aws sts get-caller-identity' failed ($(oneline "$TMP/sts.err")). Configure them with 'aws configure', AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
	fi
	ACCOUNT=$(jq -r '.Account // empty' <<<"$ident" 2>/dev/null || true)
	[[ $ACCOUNT =~ ^[0-9]{12}$ ]] || die "'aws sts get-caller-identity' returned no account ID: $ident"
	# The partition (aws, aws-cn, aws-us-gov, …) from the caller's ARN.
	PARTITION=$(jq -r '.Arn // "" | split(":")[1] // empty' <<<"$ident" 2>/dev/null || true)
	PARTITION=${PARTITION:-aws}
	log "account $ACCOUNT, region $REGION${AWS_ENDPOINT_URL:+, endpoint $AWS_ENDPOINT_URL}, stack $STACK_NAME"
}

# BUCKET_SUFFIXES are the suffixes of the bucket names built from the
# stack name, <stack>-<account>-<region><suffix>: the template's input,
# output and vector buckets and deploy.sh's artifact bucket. deploy's Go
# tests keep the list equal to the template's names.
BUCKET_SUFFIXES=(-in -out -vectors -code)

# check_stack_name: the stack name goes into bucket names, which allow
# only lower-case letters, digits and '-' and at most 63 characters; the
# longest suffix sets the bound.
check_stack_name() {
	local s longest=0
	for s in "${BUCKET_SUFFIXES[@]}"; do ((${#s} <= longest)) || longest=${#s}; done
	local max=$((63 - 1 - 12 - 1 - ${#REGION} - longest))
	[[ $STACK_NAME =~ ^[a-z][a-z0-9-]*[a-z0-9]$ && $STACK_NAME != xn--* ]] ||
		die "STACK_NAME='$STACK_NAME': use lower-case letters, digits and '-', starting with a letter (it becomes part of the bucket names)"
	((${#STACK_NAME} <= max)) ||
		die "STACK_NAME='$STACK_NAME' is ${#STACK_NAME} characters; at most $max fit in the bucket names in $REGION"
}

# load_stack sets STACK_JSON (describe-stacks output). It returns 1 when
# the stack does not exist and dies on any other error.
load_stack() {
	if STACK_JSON=$(aws_ cloudformation describe-stacks --stack-name "$STACK_NAME" --output json 2>"$TMP/describe.err"); then
		return 0
	fi
	if grep -q 'does not exist' "$TMP/describe.err"; then
		return 1
	fi
	die "describe stack $STACK_NAME: $(oneline "$TMP/describe.err")"
}

# stack_has_parameter KEY: whether the stack reports a value of KEY
# (describe-stacks lists every parameter, defaults included).
stack_has_parameter() {
	jq -e --arg k "$1" 'any((.Stacks[0].Parameters // [])[]; .ParameterKey == $k)' <<<"$STACK_JSON" >/dev/null
}

# template_default PARAM prints the Default of a parameter of
# template.yaml, unquoted (empty when it has none).
template_default() {
	awk -v p="  $1:" '
		$0 == p { f = 1; next }
		f && /^  [^ ]/ { exit }
		f && /^    Default:/ { sub(/^    Default: */, ""); gsub(/^"|"$/, ""); print; exit }
	' "$DEPLOY_DIR/template.yaml"
}

# effective ENV PARAM [empty-is-a-value] prints the value PARAM will have
# after this deploy: ENV when it is set, else the stack's current value,
# else the template default; what `aws cloudformation deploy` does with
# the overrides deploy.sh passes. An empty ENV counts as unset (deploy.sh
# passes no override for it) unless the third argument says empty is a
# value (FACE_INDEX= turns indexing off). Needs STACK_EXISTS (and
# STACK_JSON).
effective() {
	if [[ -n ${!1:-} || (-n ${3:-} && -n ${!1+set}) ]]; then
		printf '%s\n' "${!1}"
	elif ${STACK_EXISTS:-false} && stack_has_parameter "$2"; then
		stack_parameter "$2"
	else
		template_default "$2"
	fi
}

# dns_suffix prints the domain of AWS endpoints in REGION's partition
# (the AWS SDKs' partitions.json).
dns_suffix() {
	case $REGION in
	cn-*) echo amazonaws.com.cn ;;
	eusc-*) echo amazonaws.eu ;;
	*) echo amazonaws.com ;;
	esac
}

stack_status() { jq -r '.Stacks[0].StackStatus // empty' <<<"$STACK_JSON"; }

# stack_parameter KEY prints the stack's current value of a parameter
# (empty when it has none).
stack_parameter() {
	jq -r --arg k "$1" '(.Stacks[0].Parameters // []) | map(select(.ParameterKey == $k)) | .[0].ParameterValue // empty' <<<"$STACK_JSON"
}

# md5_of FILE prints the file's MD5 in hex (GNU md5sum, or BSD md5 on macOS).
md5_of() {
	if command -v md5sum >/dev/null 2>&1; then
		md5sum "$1" | cut -d' ' -f1
	else
		md5 -q "$1"
	fi
}

# check_package ZIP refuses a package Lambda could not run (unreadable
# modes, over the size quotas, a bootstrap that is not a static x86_64
# executable) with function/pack's check, which `make package` also runs.
# It needs Go; without it the check is skipped with a note (a zip built
# elsewhere, e.g. by make package-docker, was checked when it was built).
check_package() {
	if ! command -v go >/dev/null 2>&1; then
		log "go is not installed: $1 is not re-checked here (make package checked it when it built it)"
		return 0
	fi
	log "checking $1 (modes, Lambda's size quotas, a static x86_64 bootstrap)"
	(cd "$ROOT" && go run ./function/pack -check "$1") 2>"$TMP/check.err" ||
		die "$1 is not a package Lambda can run: $(oneline "$TMP/check.err")"
}

# output_or_empty KEY prints a stack output, or nothing when the stack
# lacks it (outputs with a condition that is false).
output_or_empty() {
	jq -r --arg k "$1" '(.Stacks[0].Outputs // []) | map(select(.OutputKey == $k)) | .[0].OutputValue // empty' <<<"$STACK_JSON"
}

# output KEY prints a stack output; it dies when the stack lacks it.
output() {
	local v
	v=$(output_or_empty "$1")
	[[ -n $v ]] || die "stack $STACK_NAME has no output $1 (deployed from another template?)"
	printf '%s\n' "$v"
}

# show_failures prints why resources of the stack failed, newest first:
# the CLI itself only says "Waiter ... failed".
show_failures() {
	aws_ cloudformation describe-stack-events --stack-name "$STACK_NAME" --output json 2>/dev/null |
		jq -r '.StackEvents[] | select(.ResourceStatus | test("FAILED")) | "  \(.LogicalResourceId) \(.ResourceStatus): \(.ResourceStatusReason // "")"' 2>/dev/null |
		head -n 15 >&2 || true
}

# notification_config BUCKET FUNCTION_ARN add|remove [QUEUE_ARN [REMOVALS]]
# writes to stdout the bucket's notification configuration with this
# stack's configurations (by Id prefix or by target) replaced by one per
# suffix for s3:ObjectCreated:* and, with REMOVALS=true (faces are
# indexed), one for s3:ObjectRemoved:* so a deleted photo's faces leave
# the index ("add"), or dropped ("remove"): to the function, or to
# QUEUE_ARN when the stack buffers through a queue (BufferWithQueue).
# Every other configuration (other queues, topics, EventBridge, other
# functions) is kept as it is. S3 refuses configurations that overlap
# (a shared event type and overlapping prefix/suffix filters), with an
# error that names none of them; "add" names the overlapping ones itself
# and dies before anything is written.
notification_config() {
	local bucket=$1 arn=$2 mode=$3 queue=${4:-} removals=${5:-false} cur conflicts
	cur=$(aws_ s3api get-bucket-notification-configuration --bucket "$bucket" --output json 2>"$TMP/notif.err") ||
		die "read the notification configuration of s3://$bucket: $(oneline "$TMP/notif.err")"
	[[ -n $cur ]] || cur='{}'
	# shellcheck disable=SC2016 # jq's variables, not the shell's
	local filter='
		def ours: if $mode == "add" then
			[$ARGS.positional | to_entries[] | {
				Id: ($p + (.key | tostring) + "-" + (.value | ltrimstr("."))),
				Events: ["s3:ObjectCreated:*"],
				Filter: {Key: {FilterRules: [{Name: "suffix", Value: .value}]}}
			}] + (if $removals == "true" then [{Id: ($p + "removed"), Events: ["s3:ObjectRemoved:*"]}] else [] end)
			| map(. + (if $queue == "" then {LambdaFunctionArn: $arn} else {QueueArn: $queue} end)) else [] end;
		def mine: (.Id // "" | startswith($p)) or ($arn != "" and (.LambdaFunctionArn // "") == $arn) or ($queue != "" and (.QueueArn // "") == $queue);
		def theirs: [(.LambdaFunctionConfigurations // [])[], (.QueueConfigurations // [])[], (.TopicConfigurations // [])[]] | map(select(mine | not));
		def rule($n): [(.Filter.Key.FilterRules // [])[] | select(.Name | ascii_downcase == $n) | .Value][0] // "";
		def evoverlap($a; $b): $a == $b
			or ($a | endswith(":*") and ($b | startswith($a | rtrimstr("*"))))
			or ($b | endswith(":*") and ($a | startswith($b | rtrimstr("*"))));
		def overlap($x; $y):
			($x | rule("prefix")) as $xp | ($y | rule("prefix")) as $yp
			| ($x | rule("suffix")) as $xs | ($y | rule("suffix")) as $ys
			| any($x.Events[]; . as $e | any($y.Events[]; evoverlap($e; .)))
			and ($xp == "" or $yp == "" or ($xp | startswith($yp)) or ($yp | startswith($xp)))
			and ($xs == "" or $ys == "" or ($xs | endswith($ys)) or ($ys | endswith($xs)));
		def describe: "\(.Id // "(no Id)") (\(.Events | join(","))\(if rule("prefix") != "" then " prefix " + rule("prefix") else "" end)\(if rule("suffix") != "" then " suffix " + rule("suffix") else "" end) -> \(.LambdaFunctionArn // .QueueArn // .TopicArn))";
		del(.ResponseMetadata)'
	if [[ $mode == add ]]; then
		conflicts=$(jq -r --arg p "facevec-$STACK_NAME-" --arg arn "$arn" --arg mode "$mode" --arg queue "$queue" --arg removals "$removals" \
			"$filter"' | ours as $ours | theirs[] | . as $t | select(any($ours[]; overlap($t; .))) | describe' \
			--args "${SUFFIXES[@]}" <<<"$cur") || die "read the notification configuration of s3://$bucket: not the JSON S3 answers"
		if [[ -n $conflicts ]]; then
			die "s3://$bucket already has notifications that overlap this stack's (S3 refuses overlapping configurations: a shared event type with overlapping prefix and suffix filters): $(tr '\n' ';' <<<"$conflicts" | sed 's/;$//; s/;/; /g'). Remove or narrow them (aws s3api get-bucket-notification-configuration --bucket $bucket), or deploy with FACE_INDEX= if only s3:ObjectRemoved overlaps"
		fi
	fi
	jq -c --arg p "facevec-$STACK_NAME-" --arg arn "$arn" --arg mode "$mode" --arg queue "$queue" --arg removals "$removals" "$filter"'
		| .LambdaFunctionConfigurations = (
			[(.LambdaFunctionConfigurations // [])[] | select(mine | not)]
			+ (if $queue == "" then ours else [] end))
		| .QueueConfigurations = (
			[(.QueueConfigurations // [])[] | select(mine | not)]
			+ (if $queue == "" then [] else ours end))
		| if .LambdaFunctionConfigurations == [] then del(.LambdaFunctionConfigurations) else . end
		| if .QueueConfigurations == [] then del(.QueueConfigurations) else . end
	' --args "${SUFFIXES[@]}" <<<"$cur"
}

# put_notifications BUCKET FILE writes the configuration. S3 test-invokes
# each destination; right after a permission change that can fail for a
# few seconds ("Unable to validate"), so that one error is retried.
put_notifications() {
	local bucket=$1 file=$2 try
	for try in 1 2 3 4 5 6; do
		if aws_ s3api put-bucket-notification-configuration --bucket "$bucket" \
			--notification-configuration "file://$file" 2>"$TMP/put.err"; then
			return 0
		fi
		grep -q 'Unable to validate' "$TMP/put.err" || break
		sleep "$try"
	done
	if grep -qi 'overlap' "$TMP/put.err"; then
		die "s3://$bucket already sends some of ${SUFFIXES[*]} to another target; S3 refuses overlapping notifications: $(oneline "$TMP/put.err")"
	fi
	die "write the notification configuration of s3://$bucket: $(oneline "$TMP/put.err")"
}
