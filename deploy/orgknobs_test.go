package deploy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// noMax marks a Number parameter without MaxValue.
const noMax = -1

// checkOrganisationKnobs: what organisations need to run the stack. A
// permissions boundary (SCPs may require one on every role), a cap on
// the function's concurrency (one bulk upload must not take the account's
// whole pool), and a bound on how long an event may wait for a retry.
// Each is off (AWS's own default) unless its parameter is set.
func checkOrganisationKnobs(_ *testing.T, tpl map[string]any) (p problems) {
	notEquals := func(param string, v any) any {
		return map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref(param), v}}}}
	}
	noValue := ref("AWS::NoValue")

	p.expect("Conditions.HasPermissionsBoundary", at(tpl, "Conditions", "HasPermissionsBoundary"), notEquals("PermissionsBoundary", ""))
	// Every role the stack creates: an SCP that demands a boundary refuses
	// any role without one.
	roles := 0
	for _, id := range slices.Sorted(maps.Keys(mapping(tpl["Resources"]))) {
		if at(tpl, "Resources", id, "Type") != "AWS::IAM::Role" {
			continue
		}
		roles++
		p.expect(id+".PermissionsBoundary", props(tpl, id)["PermissionsBoundary"],
			ifFn("HasPermissionsBoundary", ref("PermissionsBoundary"), noValue))
		// A path and a name prefix, for SCPs and permission sets that match
		// on them (the platform team's list, issue #28).
		p.expect(id+".Path", props(tpl, id)["Path"], ref("RolePath"))
		if name := list(at(props(tpl, id)["RoleName"], "Fn::If")); len(name) != 3 || name[0] != "NameRoles" || !same(name[2], noValue) ||
			!strings.HasPrefix(fmt.Sprint(at(name[1], "Fn::Sub")), "${RoleNamePrefix}${AWS::StackName}-") {
			p.addf("%s.RoleName = %s, want !If [NameRoles, !Sub ${RoleNamePrefix}${AWS::StackName}-..., NoValue]", id, canon(props(tpl, id)["RoleName"]))
		}
	}
	if roles == 0 {
		p.addf("no AWS::IAM::Role in the template: want %s at least", idRole)
	}
	pat, _ := at(tpl, "Parameters", "PermissionsBoundary", "AllowedPattern").(string)
	if re, err := regexp.Compile(`^(?:` + pat + `)$`); pat == "" || err != nil {
		p.addf("PermissionsBoundary.AllowedPattern %q: %v", pat, err)
	} else {
		for v, ok := range map[string]bool{
			"": true, "arn:aws:iam::123456789012:policy/DeveloperBoundary": true,
			"arn:aws-us-gov:iam::123456789012:policy/org/Boundary": true,
			"DeveloperBoundary": false, "arn:aws:iam::aws:policy/AdministratorAccess": false,
			"arn:aws:iam::123456789012:role/Boundary": false,
		} {
			if re.MatchString(v) != ok {
				p.addf("PermissionsBoundary.AllowedPattern %q: accepts %q = %v, want %v", pat, v, !ok, ok)
			}
		}
	}

	p.expect("Conditions.NameRoles", at(tpl, "Conditions", "NameRoles"), notEquals("RoleNamePrefix", ""))
	// The longest role name fits IAM's 64: prefix, stack name (32 at
	// most, lib.sh), "-backfill".
	if n, ok := num(at(tpl, "Parameters", "RoleNamePrefix", "MaxLength")); ok && n+32+int64(len("-backfill")) > 64 {
		p.addf("RoleNamePrefix.MaxLength %d: with a 32-character stack and -backfill the name passes IAM's 64", n)
	}

	// Lambda reads ReservedConcurrentExecutions 0 as "throttle everything",
	// so 0 must mean "leave it unset".
	p.expect("Conditions.CapConcurrency", at(tpl, "Conditions", "CapConcurrency"), notEquals("ReservedConcurrency", 0))
	p.expect("EncoderFunction.ReservedConcurrentExecutions", props(tpl, idFunction)["ReservedConcurrentExecutions"],
		ifFn("CapConcurrency", ref("ReservedConcurrency"), noValue))

	p.expect("EncoderEventInvokeConfig.MaximumEventAgeInSeconds", props(tpl, idInvokeConfig)["MaximumEventAgeInSeconds"],
		ref("MaxEventAgeSeconds"))
	return p
}
