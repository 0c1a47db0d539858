package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/networking"
)

// cloudflareOutputs adds to out what Cloudflare answers for its resources beyond their inputs, for
// plans against mocks: a record's full hostname, and for an origin certificate request a real
// certificate for the CSR's key (networking.MockIssue), so the TLS Secret holds a matching pair.
func cloudflareOutputs(args pulumi.MockResourceArgs, out resource.PropertyMap) error {
	switch args.TypeToken {
	case "cloudflare:index/record:Record":
		out["hostname"] = resource.NewStringProperty("(known after up)")
		out["proxiable"] = resource.NewBoolProperty(true)
	case "cloudflare:index/ruleset:Ruleset":
		out["id"] = resource.NewStringProperty(args.Name + "-id")
	case "cloudflare:index/originCaCertificate:OriginCaCertificate":
		csr := args.Inputs["csr"]
		for csr.IsSecret() {
			csr = csr.SecretValue().Element
		}
		if !csr.IsString() {
			// Unknown during a preview of a key not yet generated.
			out["certificate"] = resource.MakeComputed(resource.NewStringProperty(""))
			return nil
		}
		validity := 365
		if v := args.Inputs["requestedValidity"]; v.IsNumber() {
			validity = int(v.NumberValue())
		}
		cert, err := networking.MockIssue(csr.StringValue(), validity)
		if err != nil {
			return err
		}
		out["certificate"] = resource.NewStringProperty(cert)
		out["expiresOn"] = resource.NewStringProperty("(known after up)")
	}
	return nil
}
