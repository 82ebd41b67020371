package s3svc

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestNotificationRoundTrip(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "photos")

	put := []types.LambdaFunctionConfiguration{
		lambdaConfig("jpegs", testARN, []types.Event{"s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"},
			rule(types.FilterRuleNamePrefix, "people/"), rule(types.FilterRuleNameSuffix, ".jpg")),
		lambdaConfig("everything", testARN2, []types.Event{"s3:ObjectCreated:*"}),
	}
	h.notify(t, "photos", put...)

	out, err := h.client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("photos")})
	if err != nil {
		t.Fatalf("GetBucketNotificationConfiguration: %v", err)
	}
	if len(out.QueueConfigurations)+len(out.TopicConfigurations) != 0 || out.EventBridgeConfiguration != nil {
		t.Fatalf("unexpected non-Lambda configurations: %+v", out)
	}
	got := out.LambdaFunctionConfigurations
	if len(got) != len(put) {
		t.Fatalf("got %d configurations, want %d", len(got), len(put))
	}
	for i := range put {
		w, g := put[i], got[i]
		if aws.ToString(g.Id) != aws.ToString(w.Id) || aws.ToString(g.LambdaFunctionArn) != aws.ToString(w.LambdaFunctionArn) || !slices.Equal(g.Events, w.Events) {
			t.Errorf("configuration %d = %+v, want %+v", i, g, w)
		}
		var wr, gr []types.FilterRule
		if w.Filter != nil {
			wr = w.Filter.Key.FilterRules
		}
		if g.Filter != nil && g.Filter.Key != nil {
			gr = g.Filter.Key.FilterRules
		}
		if len(wr) != len(gr) {
			t.Fatalf("configuration %d: %d filter rules, want %d", i, len(gr), len(wr))
		}
		for j := range wr {
			// S3 answers "Prefix"/"Suffix" whatever case was sent.
			if !strings.EqualFold(string(gr[j].Name), string(wr[j].Name)) || aws.ToString(gr[j].Value) != aws.ToString(wr[j].Value) {
				t.Errorf("configuration %d rule %d = %s=%s, want %s=%s", i, j, gr[j].Name, aws.ToString(gr[j].Value), wr[j].Name, aws.ToString(wr[j].Value))
			}
		}
	}

	// An empty configuration removes them all.
	h.notify(t, "photos")
	out, err = h.client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("photos")})
	if err != nil || len(out.LambdaFunctionConfigurations) != 0 {
		t.Fatalf("after clearing: %+v, %v", out, err)
	}
}

func TestNotificationGeneratesMissingID(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	h.notify(t, "photos", types.LambdaFunctionConfiguration{LambdaFunctionArn: aws.String(testARN), Events: []types.Event{"s3:ObjectCreated:*"}})
	cfgs := h.svc.Notification("photos")
	if len(cfgs) != 1 || cfgs[0].ID == "" {
		t.Fatalf("configurations = %+v, want one with a generated ID", cfgs)
	}
	h.put(t, "photos", "x.jpg", "x")
	h.waitIdle(t)
	evs := h.inv.events(t)
	if len(evs) != 1 || evs[0].S3.ConfigurationID != cfgs[0].ID {
		t.Fatalf("events = %+v, want one with configurationId %q", evs, cfgs[0].ID)
	}
}

// TestNotificationErrors sends configurations S3 refuses, raw, so that the
// SDK's client-side validation does not hide the server's answer.
func TestNotificationErrors(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	cfg := func(inner string) string {
		return `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</NotificationConfiguration>`
	}
	lambda := func(arn, events, filter string) string {
		return cfg(`<CloudFunctionConfiguration><Id>a</Id><CloudFunction>` + arn + `</CloudFunction>` + events + filter + `</CloudFunctionConfiguration>`)
	}
	ev := `<Event>s3:ObjectCreated:*</Event>`
	filter := func(rules ...string) string {
		s := `<Filter><S3Key>`
		for _, r := range rules {
			name, value, _ := strings.Cut(r, "=")
			s += `<FilterRule><Name>` + name + `</Name><Value>` + value + `</Value></FilterRule>`
		}
		return s + `</S3Key></Filter>`
	}

	tests := []struct {
		name, method, bucket, body string
		status                     int
		code                       string
	}{
		{"unknown bucket put", "PUT", "missing", lambda(testARN, ev, ""), 404, "NoSuchBucket"},
		{"unknown bucket get", "GET", "missing", "", 404, "NoSuchBucket"},
		{"delete not allowed", "DELETE", "photos", "", 405, "MethodNotAllowed"},
		{"not xml", "PUT", "photos", "hello", 400, "MalformedXML"},
		{"wrong root", "PUT", "photos", `<Foo/>`, 400, "MalformedXML"},
		{"unknown element", "PUT", "photos", cfg(`<Bogus/>`), 400, "MalformedXML"},
		{"unknown element in configuration", "PUT", "photos", lambda(testARN, ev+`<Events>x</Events>`, ""), 400, "MalformedXML"},
		{"unparsable arn", "PUT", "photos", lambda("encode", ev, ""), 400, "InvalidArgument"},
		{"sqs arn as function", "PUT", "photos", lambda("arn:aws:sqs:us-east-1:000000000000:q", ev, ""), 400, "InvalidArgument"},
		{"function in another region", "PUT", "photos", lambda("arn:aws:lambda:eu-west-1:000000000000:function:encode", ev, ""), 400, "InvalidArgument"},
		{"no event", "PUT", "photos", lambda(testARN, "", ""), 400, "InvalidArgument"},
		{"unknown event", "PUT", "photos", lambda(testARN, `<Event>s3:ObjectCreated:Upload</Event>`, ""), 400, "InvalidArgument"},
		{"delete-marker events not delivered", "PUT", "photos", lambda(testARN, `<Event>s3:ObjectRemoved:DeleteMarkerCreated</Event>`, ""), 501, "NotImplemented"},
		{"bad rule name", "PUT", "photos", lambda(testARN, ev, filter("middle=x")), 400, "InvalidArgument"},
		{"two prefixes", "PUT", "photos", lambda(testARN, ev, filter("prefix=a", "Prefix=b")), 400, "InvalidArgument"},
		{"empty value", "PUT", "photos", lambda(testARN, ev, filter("suffix=")), 400, "InvalidArgument"},
		{"duplicate ids", "PUT", "photos", cfg(strings.Repeat(`<CloudFunctionConfiguration><Id>same</Id><CloudFunction>`+testARN+`</CloudFunction>`+ev+`</CloudFunctionConfiguration>`, 2)), 400, "InvalidArgument"},
		{"queue destination", "PUT", "photos", cfg(`<QueueConfiguration><Queue>arn:aws:sqs:us-east-1:000000000000:q</Queue>` + ev + `</QueueConfiguration>`), 501, "NotImplemented"},
		{"topic destination", "PUT", "photos", cfg(`<TopicConfiguration><Topic>arn:aws:sns:us-east-1:000000000000:t</Topic>` + ev + `</TopicConfiguration>`), 501, "NotImplemented"},
		{"eventbridge", "PUT", "photos", cfg(`<EventBridgeConfiguration/>`), 501, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, tt.method, h.url+"/"+tt.bucket+"?notification", tt.body)
			if status != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
				t.Fatalf("status %d body %s; want %d %s", status, body, tt.status, tt.code)
			}
			if !strings.Contains(body, "<RequestId>") {
				t.Errorf("error without RequestId: %s", body)
			}
		})
	}
	if cfgs := h.svc.Notification("photos"); len(cfgs) != 0 {
		t.Fatalf("refused configurations were stored: %+v", cfgs)
	}

	// The SDK surfaces NoSuchBucket as such.
	_, err := h.client.PutBucketNotificationConfiguration(ctxT(t), &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("missing"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			lambdaConfig("a", testARN, []types.Event{"s3:ObjectCreated:*"}),
		}},
	})
	if code := apiCode(err); code != "NoSuchBucket" {
		t.Fatalf("SDK put on a missing bucket: %v, want NoSuchBucket", err)
	}
}

func TestNotificationAcceptsAliasesAndCase(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	body := `<NotificationConfiguration><LambdaFunctionConfiguration><Id>alias</Id>` +
		`<LambdaFunctionArn>` + testARN + `</LambdaFunctionArn><Event>s3:ObjectCreated:Put</Event>` +
		`<Filter><S3Key><FilterRule><Name>PREFIX</Name><Value>in/</Value></FilterRule></S3Key></Filter>` +
		`</LambdaFunctionConfiguration></NotificationConfiguration>`
	if status, resp := rawRequest(t, "PUT", h.url+"/photos?notification", body); status != 200 {
		t.Fatalf("PUT: %d %s", status, resp)
	}
	status, resp := rawRequest(t, "GET", h.url+"/photos?notification", "")
	want := `<CloudFunctionConfiguration><Id>alias</Id><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>in/</Value></FilterRule></S3Key></Filter>` +
		`<CloudFunction>` + testARN + `</CloudFunction><Event>s3:ObjectCreated:Put</Event></CloudFunctionConfiguration>`
	if status != 200 || !strings.Contains(resp, want) || !strings.Contains(resp, `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`) {
		t.Fatalf("GET: %d %s\nwant it to contain %s", status, resp, want)
	}
}

func TestNotificationRefusedWithoutInvoker(t *testing.T) {
	h := newHarness(t, WithInvoker(nil))
	h.mkBucket(t, "photos")
	_, err := h.client.PutBucketNotificationConfiguration(ctxT(t), &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("photos"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			lambdaConfig("a", testARN, []types.Event{"s3:ObjectCreated:*"}),
		}},
	})
	if code := apiCode(err); code != "InvalidArgument" {
		t.Fatalf("configuration without an invoker: %v, want InvalidArgument", err)
	}
	// Clearing needs no destination, so it is still accepted.
	h.notify(t, "photos")
}

func TestDeleteBucketDropsNotification(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	if _, err := h.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err := h.client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("photos")})
	if code := apiCode(err); code != "NoSuchBucket" {
		t.Fatalf("get on a deleted bucket: %v, want NoSuchBucket", err)
	}
	h.mkBucket(t, "photos")
	out, err := h.client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("photos")})
	if err != nil || len(out.LambdaFunctionConfigurations) != 0 {
		t.Fatalf("recreated bucket inherited a configuration: %+v, %v", out, err)
	}
	h.put(t, "photos", "a.jpg", "x")
	h.waitIdle(t)
	if n := len(h.inv.invocations()); n != 0 {
		t.Fatalf("%d events after the configuration was dropped", n)
	}
}

// TestFilters checks which writes reach which configuration.
func TestFilters(t *testing.T) {
	all := []types.Event{"s3:ObjectCreated:*"}
	tests := []struct {
		name  string
		cfg   types.LambdaFunctionConfiguration
		key   string
		copy  bool // write with CopyObject instead of PutObject
		match bool
	}{
		{"no filter", lambdaConfig("c", testARN, all), "anything", false, true},
		{"prefix match", lambdaConfig("c", testARN, all, rule("prefix", "people/")), "people/a.jpg", false, true},
		{"prefix miss", lambdaConfig("c", testARN, all, rule("prefix", "people/")), "pets/a.jpg", false, false},
		{"prefix is case-sensitive", lambdaConfig("c", testARN, all, rule("prefix", "people/")), "People/a.jpg", false, false},
		{"suffix match", lambdaConfig("c", testARN, all, rule("suffix", ".jpg")), "x/a.jpg", false, true},
		{"suffix miss", lambdaConfig("c", testARN, all, rule("suffix", ".jpg")), "x/a.png", false, false},
		{"suffix is case-sensitive", lambdaConfig("c", testARN, all, rule("suffix", ".jpg")), "x/a.JPG", false, false},
		{"both match", lambdaConfig("c", testARN, all, rule("prefix", "people/"), rule("suffix", ".jpg")), "people/a.jpg", false, true},
		{"both, prefix miss", lambdaConfig("c", testARN, all, rule("prefix", "people/"), rule("suffix", ".jpg")), "pets/a.jpg", false, false},
		{"both, suffix miss", lambdaConfig("c", testARN, all, rule("prefix", "people/"), rule("suffix", ".jpg")), "people/a.png", false, false},
		{"prefix with encoded space", lambdaConfig("c", testARN, all, rule("prefix", "my+photos/")), "my photos/a.jpg", false, true},
		{"prefix with raw space does not match", lambdaConfig("c", testARN, all, rule("prefix", "my photos/")), "my photos/a.jpg", false, false},
		{"exact event", lambdaConfig("c", testARN, []types.Event{"s3:ObjectCreated:Put"}), "a.jpg", false, true},
		{"event type mismatch", lambdaConfig("c", testARN, []types.Event{"s3:ObjectCreated:Copy"}), "a.jpg", false, false},
		{"copy event", lambdaConfig("c", testARN, []types.Event{"s3:ObjectCreated:Copy"}), "a.jpg", true, true},
		{"put event does not see copies", lambdaConfig("c", testARN, []types.Event{"s3:ObjectCreated:Put"}), "a.jpg", true, false},
	}
	h := newHarness(t)
	h.mkBucket(t, "sources")
	h.put(t, "sources", "src", "image")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := "filters-" + string(rune('a'+i))
			h.mkBucket(t, bucket)
			h.notify(t, bucket, tt.cfg)
			before := len(h.inv.invocations())
			if tt.copy {
				if _, err := h.client.CopyObject(ctxT(t), &s3.CopyObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(tt.key), CopySource: aws.String("sources/src"),
				}); err != nil {
					t.Fatalf("CopyObject: %v", err)
				}
			} else {
				h.put(t, bucket, tt.key, "image")
			}
			h.waitIdle(t)
			got := len(h.inv.invocations()) - before
			want := 0
			if tt.match {
				want = 1
			}
			if got != want {
				t.Fatalf("%d events for %q, want %d", got, tt.key, want)
			}
		})
	}
}

// TestOneEventPerMatchingConfiguration: a write matching two configurations
// goes to both functions, each event naming its configuration.
func TestOneEventPerMatchingConfiguration(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	h.notify(t, "photos",
		lambdaConfig("jpegs", testARN, []types.Event{"s3:ObjectCreated:*"}, rule("suffix", ".jpg")),
		lambdaConfig("people", testARN2, []types.Event{"s3:ObjectCreated:Put"}, rule("prefix", "people/")),
		lambdaConfig("pngs", testARN2, []types.Event{"s3:ObjectCreated:*"}, rule("suffix", ".png")),
	)
	h.put(t, "photos", "people/a.jpg", "x")
	h.waitIdle(t)
	got := map[string]string{}
	for _, inv := range h.inv.invocations() {
		var ev struct {
			Records []struct {
				S3 struct {
					ConfigurationID string `json:"configurationId"`
				} `json:"s3"`
			}
		}
		if err := jsonUnmarshal(inv.payload, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("payload %s: %v", inv.payload, err)
		}
		got[ev.Records[0].S3.ConfigurationID] = inv.arn
	}
	want := map[string]string{"jpegs": testARN, "people": testARN2}
	if len(got) != len(want) || got["jpegs"] != want["jpegs"] || got["people"] != want["people"] {
		t.Fatalf("deliveries = %v, want %v", got, want)
	}
}
