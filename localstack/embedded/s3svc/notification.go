package s3svc

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// LambdaConfiguration is one CloudFunctionConfiguration of a bucket.
type LambdaConfiguration struct {
	ID          string
	FunctionARN string
	Events      []string     // e.g. "s3:ObjectCreated:*"
	Rules       []FilterRule // at most one "Prefix" and one "Suffix"
}

// FilterRule is an S3Key filter rule. Name is "Prefix" or "Suffix"; Value is
// compared with the URL-encoded key, as S3 does.
type FilterRule struct {
	Name, Value string
}

// wire types ------------------------------------------------------------

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// notificationIn is the request body. The root name has no namespace so
// bodies with or without xmlns decode alike; unknown elements land in Other
// and are refused, as S3 refuses them.
type notificationIn struct {
	XMLName     xml.Name     `xml:"NotificationConfiguration"`
	Cloud       []lambdaXML  `xml:"CloudFunctionConfiguration"`
	Lambda      []lambdaXML  `xml:"LambdaFunctionConfiguration"`
	Topic       []xmlElement `xml:"TopicConfiguration"`
	Queue       []xmlElement `xml:"QueueConfiguration"`
	EventBridge []xmlElement `xml:"EventBridgeConfiguration"`
	Other       []xmlElement `xml:",any"`
}

type notificationOut struct {
	XMLName xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ NotificationConfiguration"`
	Cloud   []lambdaXML `xml:"CloudFunctionConfiguration"`
}

type lambdaXML struct {
	ID                string       `xml:"Id,omitempty"`
	Filter            *filterXML   `xml:"Filter,omitempty"`
	CloudFunction     string       `xml:"CloudFunction,omitempty"`
	LambdaFunctionArn string       `xml:"LambdaFunctionArn,omitempty"`
	InvocationRole    string       `xml:"InvocationRole,omitempty"`
	Events            []string     `xml:"Event"`
	Other             []xmlElement `xml:",any"`
}

type filterXML struct {
	S3Key *s3KeyXML    `xml:"S3Key"`
	Other []xmlElement `xml:",any"`
}

type s3KeyXML struct {
	Rules []ruleXML    `xml:"FilterRule"`
	Other []xmlElement `xml:",any"`
}

type ruleXML struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type xmlElement struct {
	XMLName xml.Name
}

func unknownElement(els []xmlElement, where string) *apiError {
	if len(els) == 0 {
		return nil
	}
	return errMalformedXML(fmt.Sprintf("unexpected element <%s> in <%s>", els[0].XMLName.Local, where))
}

// parsing and validation -------------------------------------------------

// lambdaARN is a function ARN, optionally with a version or alias.
var lambdaARN = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(:(\$LATEST|[A-Za-z0-9_-]+))?$`)

// knownEvents are the event types S3 accepts in a configuration; deliverable
// says which of them this stand-in emits.
var knownEvents = map[string]bool{
	"s3:ObjectCreated:*":                               true,
	"s3:ObjectCreated:Put":                             true,
	"s3:ObjectCreated:Post":                            true,
	"s3:ObjectCreated:Copy":                            true,
	"s3:ObjectCreated:CompleteMultipartUpload":         true,
	"s3:ObjectRemoved:*":                               true,
	"s3:ObjectRemoved:Delete":                          true,
	"s3:ObjectRemoved:DeleteMarkerCreated":             false,
	"s3:ObjectRestore:*":                               false,
	"s3:ObjectRestore:Post":                            false,
	"s3:ObjectRestore:Completed":                       false,
	"s3:ObjectRestore:Delete":                          false,
	"s3:ReducedRedundancyLostObject":                   false,
	"s3:Replication:*":                                 false,
	"s3:Replication:OperationFailedReplication":        false,
	"s3:Replication:OperationMissedThreshold":          false,
	"s3:Replication:OperationReplicatedAfterThreshold": false,
	"s3:Replication:OperationNotTracked":               false,
	"s3:LifecycleExpiration:*":                         false,
	"s3:LifecycleExpiration:Delete":                    false,
	"s3:LifecycleExpiration:DeleteMarkerCreated":       false,
	"s3:LifecycleTransition":                           false,
	"s3:IntelligentTiering":                            false,
	"s3:ObjectTagging:*":                               false,
	"s3:ObjectTagging:Put":                             false,
	"s3:ObjectTagging:Delete":                          false,
	"s3:ObjectAcl:Put":                                 false,
}

// maxNotificationBody bounds the request body; real configurations are a
// few kilobytes.
const maxNotificationBody = 1 << 20

// parseNotification decodes and validates a PutBucketNotificationConfiguration
// body for a bucket in region. IDs left empty are generated, as S3 does.
func parseNotification(body []byte, region string) ([]LambdaConfiguration, *apiError) {
	var in notificationIn
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, errMalformedXML(err.Error())
	}
	if e := unknownElement(in.Other, "NotificationConfiguration"); e != nil {
		return nil, e
	}
	switch {
	case len(in.Topic) > 0:
		return nil, errNotImplemented("TopicConfiguration: the embedded stack delivers notifications to Lambda functions only (no SNS)")
	case len(in.Queue) > 0:
		return nil, errNotImplemented("QueueConfiguration: the embedded stack delivers notifications to Lambda functions only (no SQS)")
	case len(in.EventBridge) > 0:
		return nil, errNotImplemented("EventBridgeConfiguration: the embedded stack delivers notifications to Lambda functions only (no EventBridge)")
	}

	all := append(append([]lambdaXML(nil), in.Cloud...), in.Lambda...)
	out := make([]LambdaConfiguration, 0, len(all))
	ids := map[string]bool{}
	for _, x := range all {
		cfg, e := validateLambda(x, region)
		if e != nil {
			return nil, e
		}
		if ids[cfg.ID] {
			return nil, errInvalidArgument("Same ID used for multiple configurations", "Id", cfg.ID)
		}
		ids[cfg.ID] = true
		out = append(out, cfg)
	}
	return out, nil
}

func validateLambda(x lambdaXML, region string) (LambdaConfiguration, *apiError) {
	if e := unknownElement(x.Other, "CloudFunctionConfiguration"); e != nil {
		return LambdaConfiguration{}, e
	}
	arn := x.CloudFunction
	if arn == "" {
		arn = x.LambdaFunctionArn
	}
	if arn == "" {
		return LambdaConfiguration{}, errInvalidArgument("A CloudFunctionConfiguration needs the function ARN in <CloudFunction>", "CloudFunction", "")
	}
	m := lambdaARN.FindStringSubmatch(arn)
	if m == nil {
		return LambdaConfiguration{}, errInvalidArgument("The ARN could not be parsed", "CloudFunction", arn)
	}
	if m[2] != region {
		return LambdaConfiguration{}, errInvalidArgument(
			fmt.Sprintf("The notification destination service region is not valid for the bucket location constraint: the function is in %s, the bucket in %s", m[2], region),
			"CloudFunction", arn)
	}
	cfg := LambdaConfiguration{ID: x.ID, FunctionARN: arn}
	if cfg.ID == "" {
		cfg.ID = newConfigID()
	}
	if len(x.Events) == 0 {
		return LambdaConfiguration{}, errInvalidArgument("A configuration needs at least one Event", "Event", "")
	}
	for _, ev := range x.Events {
		ev = strings.TrimSpace(ev)
		deliverable, known := knownEvents[ev]
		if !known {
			return LambdaConfiguration{}, errInvalidArgument("The event is not supported for notifications", ev, ev)
		}
		if !deliverable {
			return LambdaConfiguration{}, errNotImplemented(fmt.Sprintf("event %s: the embedded stack delivers s3:ObjectCreated:* and s3:ObjectRemoved:Delete events only", ev))
		}
		cfg.Events = append(cfg.Events, ev)
	}
	if x.Filter != nil {
		if e := unknownElement(x.Filter.Other, "Filter"); e != nil {
			return LambdaConfiguration{}, e
		}
		if x.Filter.S3Key != nil {
			if e := unknownElement(x.Filter.S3Key.Other, "S3Key"); e != nil {
				return LambdaConfiguration{}, e
			}
			seen := map[string]bool{}
			for _, r := range x.Filter.S3Key.Rules {
				name := strings.ToLower(strings.TrimSpace(r.Name))
				if name != "prefix" && name != "suffix" {
					return LambdaConfiguration{}, errInvalidArgument("FilterRule name must be either prefix or suffix", "FilterRule", r.Name)
				}
				if seen[name] {
					return LambdaConfiguration{}, errInvalidArgument(fmt.Sprintf("Cannot specify more than one %s rule in a filter.", name), "FilterRule", r.Name)
				}
				seen[name] = true
				if r.Value == "" {
					return LambdaConfiguration{}, errInvalidArgument("filter value cannot be empty", r.Name, r.Value)
				}
				// S3 answers with capitalised rule names whatever the case sent.
				cfg.Rules = append(cfg.Rules, FilterRule{Name: strings.ToUpper(name[:1]) + name[1:], Value: r.Value})
			}
		}
	}
	return cfg, nil
}

// newConfigID makes an ID for a configuration sent without one; S3 does the
// same, and the event's configurationId needs a value.
func newConfigID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// marshalNotification renders configs as GetBucketNotificationConfiguration
// returns them.
func marshalNotification(configs []LambdaConfiguration) ([]byte, error) {
	out := notificationOut{}
	for _, c := range configs {
		x := lambdaXML{ID: c.ID, CloudFunction: c.FunctionARN, Events: c.Events}
		if len(c.Rules) > 0 {
			x.Filter = &filterXML{S3Key: &s3KeyXML{}}
			for _, r := range c.Rules {
				x.Filter.S3Key.Rules = append(x.Filter.S3Key.Rules, ruleXML(r))
			}
		}
		out.Cloud = append(out.Cloud, x)
	}
	body, err := xml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal notification configuration: %w", err)
	}
	return append([]byte(xml.Header), body...), nil
}

// store ------------------------------------------------------------------

// notifications holds each bucket's configuration.
type notifications struct {
	mu      sync.RWMutex
	buckets map[string][]LambdaConfiguration
}

func (n *notifications) set(bucket string, configs []LambdaConfiguration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.buckets == nil {
		n.buckets = map[string][]LambdaConfiguration{}
	}
	if len(configs) == 0 {
		delete(n.buckets, bucket)
		return
	}
	n.buckets[bucket] = configs
}

func (n *notifications) get(bucket string) []LambdaConfiguration {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.buckets[bucket] // never mutated in place; set replaces the slice
}

func (n *notifications) drop(bucket string) { n.set(bucket, nil) }
