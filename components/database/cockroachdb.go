package database

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cockroachDB is the engine of the Zitadel v2 line; not built yet.
func cockroachDB(*pulumi.Context, Args, *Database) error {
	return errors.New("cockroachdb is not installed by this orbos yet: use postgres")
}
