// Command orbos-policy serves orbos's policy pack to the Pulumi engine; orbctl passes its path to
// every preview and up.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/policy"
)

func main() {
	err := policyx.Main(func(ctx *pulumi.Context) (policyx.PolicyPack, error) {
		return policy.Pack(ctx, os.Getenv(policy.CurrentVersionEnv))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "orbos-policy:", err)
		os.Exit(1)
	}
}
