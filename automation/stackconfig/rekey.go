package stackconfig

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"gopkg.in/yaml.v3"
)

// Rekey re-encrypts every secret of the file, opened with from, with to, and records salt (to's
// passphrase's encryptionsalt); comments and every other value stay as they are. It returns the
// number of secrets re-encrypted.
func (f *File) Rekey(from config.Decrypter, to config.Encrypter, salt string) (int, error) {
	keys := f.Secrets()
	for _, k := range keys {
		v, err := f.Get(k, from)
		if err != nil {
			return 0, err
		}
		if err := f.Set(k, v.Value, true, to); err != nil {
			return 0, err
		}
	}
	if n := lookup(f.root(), "encryptionsalt"); n != nil {
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", salt
		return len(keys), nil
	}
	if salt == "" {
		return 0, fmt.Errorf("no encryptionsalt to record")
	}
	f.root().Content = append([]*yaml.Node{scalar("encryptionsalt"), scalar(salt)}, f.root().Content...)
	return len(keys), nil
}
