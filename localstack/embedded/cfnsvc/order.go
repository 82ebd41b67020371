package cfnsvc

import (
	"fmt"
	"sort"
	"strings"
)

// dependencies lists the resources (among active) that resource name
// needs first: those its properties Ref, GetAtt or Sub, and its DependsOn.
func dependencies(t *Template, name string, active map[string]bool) []string {
	r := t.Resources[name]
	set := map[string]bool{}
	for _, ref := range referencedNames(r.Properties) {
		if active[ref] {
			set[ref] = true
		}
	}
	for _, d := range dependsOnNames(r.DependsOn) {
		if active[d] {
			set[d] = true
		}
	}
	delete(set, name)
	return sortedKeys(set)
}

// creationOrder sorts the active resources so that each comes after the
// ones it depends on (ties broken by name, so runs repeat). A cycle is a
// template error naming the resources in it, as CloudFormation's.
func creationOrder(t *Template, active map[string]bool) ([]string, error) {
	deps := map[string][]string{}
	indegree := map[string]int{}
	users := map[string][]string{}
	for name := range active {
		deps[name] = dependencies(t, name, active)
		indegree[name] = len(deps[name])
		for _, d := range deps[name] {
			users[d] = append(users[d], name)
		}
	}
	var ready, order []string
	for name, n := range indegree {
		if n == 0 {
			ready = append(ready, name)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		next := ready[0]
		ready = ready[1:]
		order = append(order, next)
		for _, u := range users[next] {
			indegree[u]--
			if indegree[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(order) < len(active) {
		var cycle []string
		for name, n := range indegree {
			if n > 0 {
				cycle = append(cycle, name)
			}
		}
		sort.Strings(cycle)
		return nil, fmt.Errorf("%w: Circular dependency between resources: [%s]", ErrTemplate, strings.Join(cycle, ", "))
	}
	return order, nil
}
