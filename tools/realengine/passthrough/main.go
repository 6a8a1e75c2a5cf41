// Command pulumi-resource-passthrough is a TEST DOUBLE FOR THE CLOUD, not a Pulumi provider.
//
// It speaks the Pulumi resource provider gRPC protocol so that the real `pulumi` CLI, its engine, the
// Node.js language host and the policy analyzer can run this project's program end to end on a machine
// that has no Kubernetes cluster, no DigitalOcean account and no network. The same binary is installed
// under the plugin names `kubernetes`, `random` and `digitalocean` (see tools/realengine/build.sh); it
// takes its package name from its own file name (`pulumi-resource-<package>`) and its version from the
// plugin directory it was installed into (`resource-<package>-v<version>`).
//
// What it does: Check returns the inputs unchanged, Diff compares old and new inputs, Create/Update
// return the inputs as outputs plus the few outputs the SDKs declare as cloud-computed (see computed.go),
// Read returns the state it is given, Delete succeeds, Invoke returns an empty result. It never opens a
// network connection other than the engine's loopback gRPC channel. What it does not do: anything the
// real providers do beyond that (schema validation, defaults, server-side apply, auto-naming, replacement
// rules of Kubernetes fields, component resources). See tools/realengine/README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// pluginDir matches the directory `pulumi plugin install` puts a resource plugin into.
var pluginDir = regexp.MustCompile(`^resource-([a-z0-9-]+)-v(\d+\.\d+\.\d+.*)$`)

// identity derives the package name and version the double answers for from where it is installed.
func identity(executable string) (pkg, version string, err error) {
	base := filepath.Base(executable)
	if !strings.HasPrefix(base, "pulumi-resource-") {
		return "", "", fmt.Errorf("pass-through double: executable %q must be named pulumi-resource-<package>", base)
	}
	pkg = strings.TrimPrefix(base, "pulumi-resource-")
	version = os.Getenv("PASSTHROUGH_VERSION")
	if m := pluginDir.FindStringSubmatch(filepath.Base(filepath.Dir(executable))); m != nil && m[1] == pkg {
		version = m[2]
	}
	if version == "" {
		return "", "", fmt.Errorf("pass-through double: cannot tell the version of %q: install it with "+
			"`pulumi plugin install resource %s <version> -f <binary>` or set PASSTHROUGH_VERSION", executable, pkg)
	}
	return pkg, version, nil
}

func main() {
	// The engine starts plugins by absolute path; keep that path (it names the package and version) rather
	// than os.Executable(), which resolves symlinks on Linux.
	exe := os.Args[0]
	if !filepath.IsAbs(exe) {
		var err error
		if exe, err = os.Executable(); err != nil {
			fmt.Fprintf(os.Stderr, "pass-through double: %v\n", err)
			os.Exit(1)
		}
	}
	pkg, version, err := identity(exe)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	err = provider.Main(pkg, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newPassthrough(pkg, version), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pass-through double %s: %v\n", pkg, err)
		os.Exit(1)
	}
}
