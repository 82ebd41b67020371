package s3svc

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// The S3 event message, version 2.1
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
// It decodes into github.com/aws/aws-lambda-go/events.S3Event.
type eventMessage struct {
	Records []eventRecord `json:"Records"`
}

type eventRecord struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      principal         `json:"userIdentity"`
	RequestParameters requestParameters `json:"requestParameters"`
	ResponseElements  responseElements  `json:"responseElements"`
	S3                s3Entity          `json:"s3"`
}

type principal struct {
	PrincipalID string `json:"principalId"`
}

type requestParameters struct {
	SourceIPAddress string `json:"sourceIPAddress"`
}

type responseElements struct {
	RequestID string `json:"x-amz-request-id"`
	ID2       string `json:"x-amz-id-2"`
}

type s3Entity struct {
	SchemaVersion   string       `json:"s3SchemaVersion"`
	ConfigurationID string       `json:"configurationId"`
	Bucket          bucketEntity `json:"bucket"`
	Object          objectEntity `json:"object"`
}

type bucketEntity struct {
	Name          string    `json:"name"`
	OwnerIdentity principal `json:"ownerIdentity"`
	ARN           string    `json:"arn"`
}

type objectEntity struct {
	Key       string `json:"key"`
	Size      int64  `json:"size"`
	ETag      string `json:"eTag"`
	VersionID string `json:"versionId,omitempty"` // only for versioned buckets, as on S3
	Sequencer string `json:"sequencer"`
}

// eventTimeLayout is ISO-8601 with milliseconds, as S3 writes it.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// encodeEventKey encodes an object key the way S3 writes it in events:
// application/x-www-form-urlencoded over the UTF-8 bytes (a space becomes
// '+', other bytes outside [A-Za-z0-9.*_-] become %XX), except that '/' is
// kept. url.QueryUnescape, which aws-lambda-go's S3Object uses for
// URLDecodedKey, inverts it.
func encodeEventKey(key string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '*', c == '_', c == '-', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
	}
	return b.String()
}

// sequencer hands out S3-style sequencers: fixed-width upper-case hex, so
// later events compare greater both as numbers and as strings. Seeding from
// the clock keeps them increasing across restarts of the stack too.
type sequencer struct{ n atomic.Uint64 }

func newSequencer(now time.Time) *sequencer {
	s := &sequencer{}
	s.n.Store(uint64(now.UnixNano()))
	return s
}

func (s *sequencer) next() string { return fmt.Sprintf("%018X", s.n.Add(1)) }

// partition returns the ARN partition of region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// eventInfo is what one request contributes to its events.
type eventInfo struct {
	event       string // "s3:ObjectCreated:Put"
	principalID string
	sourceIP    string
	requestID   string
	hostID      string
}

// newRecord builds the record for one write; configurationId is filled in
// per matching configuration.
func (s *Service) newRecord(info eventInfo, w written, sequencer string) eventRecord {
	return eventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         s.region,
		EventTime:         w.at.UTC().Format(eventTimeLayout),
		EventName:         strings.TrimPrefix(info.event, "s3:"),
		UserIdentity:      principal{PrincipalID: info.principalID},
		RequestParameters: requestParameters{SourceIPAddress: info.sourceIP},
		ResponseElements:  responseElements{RequestID: info.requestID, ID2: info.hostID},
		S3: s3Entity{
			SchemaVersion: "1.0",
			Bucket: bucketEntity{
				Name:          w.bucket,
				OwnerIdentity: principal{PrincipalID: s.accountID},
				ARN:           "arn:" + partition(s.region) + ":s3:::" + w.bucket,
			},
			Object: objectEntity{
				Key:       encodeEventKey(w.key),
				Size:      w.size,
				ETag:      w.etag,
				VersionID: w.versionID,
				Sequencer: sequencer,
			},
		},
	}
}

func marshalEvent(rec eventRecord) ([]byte, error) {
	b, err := json.Marshal(eventMessage{Records: []eventRecord{rec}})
	if err != nil {
		return nil, fmt.Errorf("marshal S3 event for %s/%s: %w", rec.S3.Bucket.Name, rec.S3.Object.Key, err)
	}
	return b, nil
}
