package cfnsvc

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strconv"
	"time"
)

// xmlns is the namespace of every CloudFormation query-API answer.
const xmlns = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// members reads a query-protocol list: prefix.member.1.field, ... up to
// the first missing index. With no fields it reads prefix.member.N.
func members(form url.Values, prefix string, fields ...string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		base := prefix + ".member." + strconv.Itoa(i)
		m := map[string]string{}
		if len(fields) == 0 {
			if !form.Has(base) {
				return out
			}
			m[""] = form.Get(base)
		}
		for _, f := range fields {
			if form.Has(base + "." + f) {
				m[f] = form.Get(base + "." + f)
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

func stackInput(form url.Values) StackInput {
	in := StackInput{
		StackName: form.Get("StackName"), TemplateBody: form.Get("TemplateBody"), TemplateURL: form.Get("TemplateURL"),
		UsePreviousTemplate: form.Get("UsePreviousTemplate") == "true",
		DisableRollback:     form.Get("DisableRollback") == "true" || form.Get("OnFailure") == "DO_NOTHING",
	}
	for _, p := range members(form, "Parameters", "ParameterKey", "ParameterValue", "UsePreviousValue") {
		in.Parameters = append(in.Parameters, ParameterInput{Key: p["ParameterKey"], Value: p["ParameterValue"], UsePreviousValue: p["UsePreviousValue"] == "true"})
	}
	for _, c := range members(form, "Capabilities") {
		in.Capabilities = append(in.Capabilities, c[""])
	}
	for _, t := range members(form, "Tags", "Key", "Value") {
		in.Tags = append(in.Tags, Tag{Key: t["Key"], Value: t["Value"]})
	}
	return in
}

// Wire shapes (only the members the service fills).

type xmlParameter struct {
	ParameterKey   string
	ParameterValue string
}

type xmlOutput struct {
	OutputKey   string
	OutputValue string
	Description string `xml:",omitempty"`
	ExportName  string `xml:",omitempty"`
}

type xmlTag struct{ Key, Value string }

type xmlStack struct {
	StackId           string
	StackName         string
	Description       string         `xml:",omitempty"`
	Parameters        []xmlParameter `xml:"Parameters>member"`
	CreationTime      string
	LastUpdatedTime   string `xml:",omitempty"`
	DeletionTime      string `xml:",omitempty"`
	StackStatus       string
	StackStatusReason string `xml:",omitempty"`
	DisableRollback   bool
	Capabilities      []string    `xml:"Capabilities>member"`
	Outputs           []xmlOutput `xml:"Outputs>member"`
	Tags              []xmlTag    `xml:"Tags>member"`
	DriftInformation  struct{ StackDriftStatus string }
}

type xmlEvent struct {
	StackId              string
	EventId              string
	StackName            string
	LogicalResourceId    string
	PhysicalResourceId   string
	ResourceType         string
	Timestamp            string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
}

type xmlResource struct {
	StackId              string `xml:",omitempty"`
	StackName            string `xml:",omitempty"`
	LogicalResourceId    string
	PhysicalResourceId   string
	ResourceType         string
	Timestamp            string `xml:",omitempty"`
	LastUpdatedTimestamp string `xml:",omitempty"`
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
	DriftInformation     struct{ StackResourceDriftStatus string }
}

type xmlTemplateParameter struct {
	ParameterKey  string
	DefaultValue  string `xml:",omitempty"`
	NoEcho        bool
	Description   string `xml:",omitempty"`
	ParameterType string `xml:",omitempty"`
}

type xmlChange struct {
	Type           string
	ResourceChange struct {
		Action             string
		LogicalResourceId  string
		PhysicalResourceId string `xml:",omitempty"`
		ResourceType       string
		Replacement        string `xml:",omitempty"`
	}
}

type xmlChangeSet struct {
	ChangeSetId     string
	ChangeSetName   string
	StackId         string
	StackName       string
	Description     string         `xml:",omitempty"`
	Parameters      []xmlParameter `xml:"Parameters>member"`
	CreationTime    string
	ExecutionStatus string
	Status          string
	StatusReason    string      `xml:",omitempty"`
	Capabilities    []string    `xml:"Capabilities>member"`
	Tags            []xmlTag    `xml:"Tags>member"`
	Changes         []xmlChange `xml:"Changes>member"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// envelope is <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata>…</ResponseMetadata></ActionResponse>.
func envelope(action, requestID string, result any) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	outer := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	if err := enc.EncodeToken(outer); err != nil {
		return nil, err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, err
		}
	}
	meta := struct{ RequestId string }{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(outer.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
