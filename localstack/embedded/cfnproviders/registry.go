package cfnproviders

import (
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

// names is a set of physical names taken in a namespace the stand-in has
// no service for (log groups, IAM roles), with the provider's records.
type names[V any] struct {
	mu    sync.Mutex
	items map[string]V
}

func (n *names[V]) add(typ, name string, v V) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.items == nil {
		n.items = map[string]V{}
	}
	if _, taken := n.items[name]; taken {
		return fmt.Errorf("Resource of type '%s' with identifier '%s' already exists.", typ, name)
	}
	n.items[name] = v
	return nil
}

func (n *names[V]) put(name string, v V) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.items[name] = v
}

func (n *names[V]) remove(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.items, name)
}

func (n *names[V]) get(name string) (V, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.items[name]
	return v, ok
}

// orGenerated is the template's name, or one CloudFormation would make.
func orGenerated(r cfnsvc.Resource, name string, max int, lower bool) string {
	if name != "" {
		return name
	}
	return cfnsvc.PhysicalName(r.StackName, r.LogicalID, max, lower)
}

// randomID is n random upper-case letters and digits (IAM's unique IDs).
func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
