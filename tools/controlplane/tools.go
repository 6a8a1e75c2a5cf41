//go:build tools

// The binaries build.sh compiles, imported here so that `go mod tidy` keeps their dependencies in
// go.sum. The build tag keeps this file out of every build (main packages cannot be imported).
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
