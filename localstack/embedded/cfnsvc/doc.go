// Package cfnsvc is the CloudFormation part of the embedded AWS stand-in:
// an http.Handler serving CloudFormation's query API (form-encoded POST,
// XML answers, SigV4 service name "cloudformation") as the stock AWS CLI
// and the SDKs call it, with stacks held in memory and resources made by
// one Provider per resource type.
//
// Operations: CreateStack, UpdateStack, DeleteStack, DescribeStacks,
// DescribeStackEvents, DescribeStackResources, DescribeStackResource,
// ListStackResources, GetTemplate, GetTemplateSummary, ValidateTemplate,
// and the change-set calls `aws cloudformation deploy` makes
// (CreateChangeSet, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet).
// Any other action is answered InvalidAction.
//
// Templates. YAML or JSON is parsed by github.com/awslabs/goformation's
// intrinsics package, which turns short-form tags (!Ref, !Sub, !GetAtt A.B,
// ...) into their long forms; the one short form it lacks, !Condition, is
// rewritten here first. goformation's own resolver is not used: it knows
// no resource attributes, answers fixed pseudo-parameters, and drops what
// it cannot resolve silently, where CloudFormation fails the stack. So
// Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Join, Fn::Select, Fn::Split,
// Fn::Equals, Fn::And, Fn::Or, Fn::Not, Fn::FindInMap, Fn::Base64 and
// Condition are evaluated here (intrinsics.go), against the parameters
// (Default, AllowedValues, AllowedPattern, Min/MaxValue, Min/MaxLength,
// NoEcho shown as ****, UsePreviousValue), the conditions and the
// pseudo-parameters AWS::Region, AWS::AccountId, AWS::StackName,
// AWS::StackId, AWS::Partition, AWS::URLSuffix, AWS::NotificationARNs and
// AWS::NoValue (which removes the property or list element holding it).
// Fn::GetAZs, Fn::ImportValue, Fn::Cidr, Fn::Length, Fn::ToJsonString and
// transforms are not evaluated: a template using them fails its stack
// naming the function's resource.
//
// Checks made before anything is created, with CloudFormation's messages:
// a resource type without a provider ("Template format error:
// Unrecognized resource types: [T]"), a Ref/GetAtt/DependsOn to an
// undeclared name, a dependency cycle, parameter constraints, and IAM
// resources without CAPABILITY_IAM (CAPABILITY_NAMED_IAM when named).
//
// Stack operations run in the background, as in CloudFormation, with its
// statuses and events. Resources are created in dependency order (Ref,
// GetAtt, Sub variables, DependsOn); a failure marks the resource
// CREATE_FAILED with the provider's error as its reason, then the stack
// goes ROLLBACK_IN_PROGRESS with "The following resource(s) failed to
// create: [Logical]. Rollback requested by user." and deletes what it made
// in reverse order (ROLLBACK_COMPLETE), or CREATE_FAILED with rollback
// disabled. An update creates new resources, updates changed ones in place
// (or, when the provider answers ErrReplacement, creates a replacement and
// deletes the old one in cleanup), deletes removed ones last, and on a
// failure undoes its steps (UPDATE_ROLLBACK_COMPLETE). Delete goes in
// reverse dependency order; DeletionPolicy Retain skips a resource.
// Outputs are resolved after the last resource. A call that starts an
// operation waits for it up to the settle time (WithSettle) before
// answering, so the CLI's waiters, which poll every 5 to 30 seconds,
// usually see the final state on their first poll.
//
// A change set is planned immediately: CREATE_COMPLETE with its changes,
// or FAILED with "The submitted information didn't contain changes. ..."
// when there are none, which `aws cloudformation deploy` reports as "No
// changes to deploy".
//
// Not served: stack policies, drift, termination protection, exports
// across stacks, stack sets, resource imports, ListStacks and pagination
// (every list is one page).
package cfnsvc
