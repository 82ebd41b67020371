package cfnproviders

import "github.com/facevec/facevec/localstack/embedded/cfnsvc"

// Set is every provider of the stand-in, made once per server.
type Set struct {
	// Roles keeps the IAM roles stacks made, with their policies.
	Roles *Roles
	// LogGroups keeps the log groups stacks made.
	LogGroups *LogGroups

	clients Clients
	region  string
}

// New makes the providers for the stand-in at endpoint.
func New(endpoint, region, account string) *Set {
	return &Set{Roles: NewRoles(account), LogGroups: NewLogGroups(region, account),
		clients: NewClients(endpoint, region), region: region}
}

// Options registers every provider with a cfnsvc.Service.
func (s *Set) Options() []cfnsvc.Option {
	return []cfnsvc.Option{
		cfnsvc.WithProvider("AWS::IAM::Role", s.Roles),
		cfnsvc.WithProvider("AWS::Logs::LogGroup", s.LogGroups),
		cfnsvc.WithProvider("AWS::S3::Bucket", NewBuckets(s.clients, s.region)),
		cfnsvc.WithProvider("AWS::Lambda::Function", NewFunctions(s.clients)),
		cfnsvc.WithProvider("AWS::Lambda::Permission", NewPermissions(s.clients)),
		cfnsvc.WithProvider("AWS::Lambda::EventInvokeConfig", NewEventInvokeConfigs(s.clients)),
		cfnsvc.WithProvider("AWS::S3Vectors::VectorBucket", NewVectorBuckets(s.clients)),
		cfnsvc.WithProvider("AWS::S3Vectors::Index", NewVectorIndexes(s.clients)),
	}
}
