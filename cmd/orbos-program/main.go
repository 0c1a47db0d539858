// Command orbos-program is the ORB program as a Pulumi project's program: the Pulumi.yaml at the top
// of this repository names it, so that `pulumi preview` and `pulumi up` run, from a checkout of
// orbos, exactly the program orbctl runs inline (docs/PULUMI-CLI.md).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks/program"
)

func main() { pulumi.Run(program.Standalone) }
