// crd-dump prints, as JSON, the postgresql CustomResourceDefinition that the Zalando postgres-operator
// registers itself at start-up (enable_crd_registration, on by default): the value of the operator's own
// acidv1.PostgresCRD, built from the module pinned in go.mod (= lib/postgres-operator.json). The
// operator overwrites an installed CRD with this one, so it is the schema a cluster ends up with;
// manifests/postgresql.crd.yaml of the same module is the one `kubectl apply` and the Helm chart install
// first. fetch.sh runs this; tests validate the rendered resource against both.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	acidv1 "github.com/zalando/postgres-operator/pkg/apis/acid.zalan.do/v1"
)

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: crd-dump (no arguments)")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(acidv1.PostgresCRD(nil)); err != nil {
		fmt.Fprintln(os.Stderr, "crd-dump:", err)
		os.Exit(1)
	}
}
