package zitadel

import "github.com/orbos/orbos/components/database"

// GenerateMasterkey returns a new masterkey: Zitadel takes exactly 32 characters and uses their
// bytes as its AES-256 key; these are 32 characters from crypto/rand over letters and digits
// (about 190 bits), safe in a Secret, an environment variable and a YAML file without quoting.
func GenerateMasterkey() (string, error) { return database.Password() }
