package s3svc

import "strings"

// matches reports whether an event of type event (e.g.
// "s3:ObjectCreated:Put") for the object whose event key is encodedKey
// should go to c. Event types match exactly or through a trailing ":*"
// wildcard; filter values are compared case-sensitively with the encoded key,
// and every rule (prefix and suffix) must hold.
func (c LambdaConfiguration) matches(event, encodedKey string) bool {
	return c.matchesEvent(event) && c.matchesKey(encodedKey)
}

func (c LambdaConfiguration) matchesEvent(event string) bool {
	for _, want := range c.Events {
		if want == event {
			return true
		}
		if family, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(event, family) {
			return true
		}
	}
	return false
}

func (c LambdaConfiguration) matchesKey(encodedKey string) bool {
	for _, r := range c.Rules {
		switch r.Name {
		case "Prefix":
			if !strings.HasPrefix(encodedKey, r.Value) {
				return false
			}
		case "Suffix":
			if !strings.HasSuffix(encodedKey, r.Value) {
				return false
			}
		default: // validation keeps other names out; refuse rather than guess
			return false
		}
	}
	return true
}
