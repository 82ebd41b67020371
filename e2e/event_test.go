//go:build e2e

package e2e

import (
	"encoding/json"
	"time"
)

// eventObject is one object an S3 event names.
type eventObject struct {
	Bucket, Key string
	Size        int64
	ETag        string // without quotes, as S3 writes it into events
}

// s3Event builds an ObjectCreated:Put event in the shape S3 sends
// (event version 2.1), by hand rather than with aws-lambda-go's types, so
// that the function is fed what S3 writes and not what its own library
// would marshal. Keys are form-encoded as S3 does.
func s3Event(region string, objs ...eventObject) []byte {
	type m = map[string]any
	records := make([]m, 0, len(objs))
	for _, o := range objs {
		records = append(records, m{
			"eventVersion":      "2.1",
			"eventSource":       "aws:s3",
			"awsRegion":         region,
			"eventTime":         time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
			"eventName":         "ObjectCreated:Put",
			"userIdentity":      m{"principalId": "AWS:E2E"},
			"requestParameters": m{"sourceIPAddress": "127.0.0.1"},
			"responseElements":  m{"x-amz-request-id": "E2E", "x-amz-id-2": "E2E"},
			"s3": m{
				"s3SchemaVersion": "1.0",
				"configurationId": "e2e-by-hand",
				"bucket": m{
					"name":          o.Bucket,
					"ownerIdentity": m{"principalId": "E2E"},
					"arn":           "arn:aws:s3:::" + o.Bucket,
				},
				"object": m{
					"key":       eventKey(o.Key),
					"size":      o.Size,
					"eTag":      o.ETag,
					"sequencer": "0055AED6DCD90281E5",
				},
			},
		})
	}
	b, err := json.Marshal(m{"Records": records})
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	return b
}

// invokeResponse is the function's answer to an invocation
// (docs/CONTRACT.md: {"results": [...], "failed": [...]}).
type invokeResponse struct {
	Results []invokeSummary `json:"results"`
	Failed  []string        `json:"failed"`
}

type invokeSummary struct {
	Bucket       string  `json:"bucket"`
	Key          string  `json:"key"`
	ResultKey    string  `json:"result_key"`
	ResultBucket string  `json:"result_bucket"`
	ETag         string  `json:"etag"`
	Faces        int     `json:"faces"`
	Error        *string `json:"error"`
	Skipped      string  `json:"skipped"`
	Message      string  `json:"message"`
	Retryable    bool    `json:"retryable"`
}

// lambdaError is the error document of a failed invocation.
type lambdaError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}
