package cfnproviders

import (
	"context"
	"fmt"
	"slices"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

// retentionDays are the values CloudWatch Logs accepts for RetentionInDays.
var retentionDays = []int64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

type logGroupProps struct {
	LogGroupName    string `json:"LogGroupName"`
	RetentionInDays Int    `json:"RetentionInDays"`
	KmsKeyId        string `json:"KmsKeyId"`
	LogGroupClass   string `json:"LogGroupClass"`
	Tags            []Tag  `json:"Tags"`
}

// LogGroup is a log group as declared.
type LogGroup struct {
	Name, Arn     string
	RetentionDays int64 // 0: never expire
}

// LogGroups is the AWS::Logs::LogGroup provider. The stand-in has no
// CloudWatch Logs service (function output goes to the Lambda service's
// log ring), so a log group is a name reserved in memory with its
// retention, checked as CloudWatch Logs checks it.
type LogGroups struct {
	region, account string
	groups          names[LogGroup]
}

// NewLogGroups makes the log group provider.
func NewLogGroups(region, account string) *LogGroups {
	return &LogGroups{region: region, account: account}
}

// LogGroup returns the log group with the given name.
func (p *LogGroups) LogGroup(name string) (LogGroup, bool) { return p.groups.get(name) }

func (p *LogGroups) group(r cfnsvc.Resource, name string) (LogGroup, error) {
	var props logGroupProps
	if err := decode(r, &props); err != nil {
		return LogGroup{}, err
	}
	if props.RetentionInDays.Set && !slices.Contains(retentionDays, props.RetentionInDays.Value) {
		return LogGroup{}, fmt.Errorf("%w for resource %s with message: #/RetentionInDays: %d is not a valid enum value", ErrProperties, r.LogicalID, props.RetentionInDays.Value)
	}
	if name == "" {
		name = orGenerated(r, props.LogGroupName, 512, false)
	}
	return LogGroup{Name: name, RetentionDays: props.RetentionInDays.Value,
		Arn: fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", p.region, p.account, name)}, nil
}

// Create implements cfnsvc.Provider.
func (p *LogGroups) Create(_ context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	g, err := p.group(r, "")
	if err != nil {
		return cfnsvc.Created{}, err
	}
	if err := p.groups.add(r.Type, g.Name, g); err != nil {
		return cfnsvc.Created{}, err
	}
	return cfnsvc.Created{PhysicalID: g.Name, Attributes: map[string]any{"Arn": g.Arn}}, nil
}

// Update implements cfnsvc.Provider: a new name is a new log group.
func (p *LogGroups) Update(_ context.Context, r, old cfnsvc.Resource) (cfnsvc.Created, error) {
	if r.Properties["LogGroupName"] != old.Properties["LogGroupName"] {
		return cfnsvc.Created{}, cfnsvc.ErrReplacement
	}
	g, err := p.group(r, old.PhysicalID)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	p.groups.put(g.Name, g)
	return cfnsvc.Created{PhysicalID: g.Name, Attributes: map[string]any{"Arn": g.Arn}}, nil
}

// Delete implements cfnsvc.Provider.
func (p *LogGroups) Delete(_ context.Context, r cfnsvc.Resource) error {
	p.groups.remove(r.PhysicalID)
	return nil
}
