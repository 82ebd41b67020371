package cfnproviders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

// ErrProperties is wrapped by every refusal of a resource's properties.
var ErrProperties = errors.New("Properties validation failed")

// decode reads a resource's resolved properties into dst, refusing keys
// dst does not declare, as CloudFormation's schema validation does.
func decode(r cfnsvc.Resource, dst any) error {
	raw, err := json.Marshal(r.Properties)
	if err != nil {
		return fmt.Errorf("%w for resource %s: %v", ErrProperties, r.LogicalID, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		msg := err.Error()
		if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			msg = fmt.Sprintf("#: extraneous key [%s] is not permitted", strings.Trim(field, `"`))
		}
		return fmt.Errorf("%w for resource %s with message: %s", ErrProperties, r.LogicalID, msg)
	}
	return nil
}

// required fails when a required property is empty.
func required(r cfnsvc.Resource, name, value string) error {
	if value == "" {
		return fmt.Errorf("%w for resource %s with message: #: required key [%s] not found", ErrProperties, r.LogicalID, name)
	}
	return nil
}

// Int is an integer property: CloudFormation takes a number or a string
// holding one (what Ref of a Number parameter gives).
type Int struct {
	Value int64
	Set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("expected an integer, got %s", b)
		}
		v = int64(f)
	}
	n.Value, n.Set = v, true
	return nil
}

// Ptr32 is the value as *int32 for the SDK (nil when unset).
func (n Int) Ptr32() *int32 {
	if !n.Set {
		return nil
	}
	v := int32(n.Value)
	return &v
}

// Bool is a boolean property: true/false or "true"/"false".
type Bool struct {
	Value bool
	Set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	v, err := strconv.ParseBool(strings.Trim(string(data), `"`))
	if err != nil {
		return fmt.Errorf("expected a boolean, got %s", data)
	}
	b.Value, b.Set = v, true
	return nil
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// arnName is the last ':'-separated part of an ARN or the name itself
// (Lambda's FunctionName takes both).
func arnName(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	parts := strings.Split(s, ":")
	if len(parts) >= 7 && parts[5] == "function" {
		return parts[6]
	}
	return parts[len(parts)-1]
}

// isCode reports whether err is an API error with the given code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
