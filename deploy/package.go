package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// PackageOption adjusts Package.
type PackageOption func(*packageConfig)

type packageConfig struct {
	templateURLs map[string]string // nested template's local path -> its URL
}

// WithTemplateURL has Package point every AWS::CloudFormation::Stack whose
// TemplateURL is the local path (as written in the template, e.g.
// "vectors.yaml") at url instead, where the caller has uploaded that
// template.
func WithTemplateURL(path, url string) PackageOption {
	return func(c *packageConfig) { c.templateURLs[path] = url }
}

// Package does to a template what `aws cloudformation package` does for
// facevec's function: every AWS::Lambda::Function whose Code is a local
// path gets Code {S3Bucket: bucket, S3Key: key} instead. The caller has
// uploaded the zip there. With WithTemplateURL, a nested stack's local
// TemplateURL is pointed at its upload too. Everything else (comments,
// short-form tags, key order) is kept, so the result is the same
// template, deployable through the CloudFormation API without the CLI.
func Package(template []byte, bucket, key string, opts ...PackageOption) ([]byte, error) {
	if bucket == "" || key == "" {
		return nil, errors.New("package: empty S3 bucket or key for the function code")
	}
	cfg := packageConfig{templateURLs: map[string]string{}}
	for _, o := range opts {
		o(&cfg)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(template))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("package: %w: %v", ErrTemplate, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("package: %w: more than one YAML document", ErrTemplate)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("package: %w: the top level is not a mapping", ErrTemplate)
	}
	resources := lookup(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("package: %w: no Resources mapping", ErrTemplate)
	}
	rewritten := 0
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		typ := lookup(res, "Type")
		if typ != nil && typ.Value == "AWS::CloudFormation::Stack" {
			if u := lookup(lookup(res, "Properties"), "TemplateURL"); u != nil && u.Kind == yaml.ScalarNode {
				if url, ok := cfg.templateURLs[u.Value]; ok {
					*u = *quoted(url)
				}
			}
			continue
		}
		if typ == nil || typ.Value != "AWS::Lambda::Function" {
			continue
		}
		props := lookup(res, "Properties")
		code := lookup(props, "Code")
		if code == nil {
			return nil, fmt.Errorf("package: %w: function %s has no Code", ErrTemplate, name)
		}
		if code.Kind != yaml.ScalarNode || code.Tag != "!!str" || code.Value == "" {
			// Already an S3 location or inline code: the CLI leaves it too.
			continue
		}
		*code = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			plain("S3Bucket"), quoted(bucket),
			plain("S3Key"), quoted(key),
		}}
		rewritten++
	}
	if rewritten == 0 {
		return nil, fmt.Errorf("package: %w: no AWS::Lambda::Function with a local Code path", ErrTemplate)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("package: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("package: encode: %w", err)
	}
	return out.Bytes(), nil
}

// lookup returns the value of key in mapping node m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func plain(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// quoted is a double-quoted string node, so a key like "123" or "true"
// stays a string.
func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}
