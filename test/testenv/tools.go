// Package testenv starts a real local Kubernetes control plane (etcd, kube-apiserver and
// kube-controller-manager) on loopback for integration tests and for the local demo.
//
// The binaries come from hack/tools.sh (`make tools`); see tools.Find.
package testenv

import "github.com/orbos/orbos/internal/tools"

// ErrToolMissing is wrapped by FindTool's error when a binary cannot be found.
var ErrToolMissing = tools.ErrMissing

// FindTool returns the path of the executable name (see tools.Find).
func FindTool(name string) (string, error) { return tools.Find(name) }
