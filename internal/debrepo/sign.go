package debrepo

import (
	"bytes"
	"crypto"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var signConfig = &packet.Config{DefaultHash: crypto.SHA256, RSABits: 3072}

// SigningKey signs a repository's Release file. It is made for one run and never stored.
type SigningKey struct {
	entity *openpgp.Entity
}

// NewSigningKey generates an OpenPGP key (RSA 3072, SHA-256 signatures, which apt accepts).
func NewSigningKey() (*SigningKey, error) {
	e, err := openpgp.NewEntity("orbos apt repository", "generated for one run", "orbos@localhost", signConfig)
	if err != nil {
		return nil, fmt.Errorf("apt signing key: %w", err)
	}
	return &SigningKey{entity: e}, nil
}

// PublicKey is the binary public key: what a `signed-by=FILE.gpg` names.
func (k *SigningKey) PublicKey() ([]byte, error) {
	var b bytes.Buffer
	if err := k.entity.Serialize(&b); err != nil {
		return nil, fmt.Errorf("apt signing key: %w", err)
	}
	return b.Bytes(), nil
}

// ArmoredPublicKey is the ASCII-armored public key (a `signed-by=FILE.asc`).
func (k *SigningKey) ArmoredPublicKey() ([]byte, error) {
	pub, err := k.PublicKey()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(pub); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Sign returns the InRelease (clear-signed) and Release.gpg (detached, armored) of release.
func (k *SigningKey) Sign(release []byte) (inRelease, detached []byte, err error) {
	var in bytes.Buffer
	w, err := clearsign.Encode(&in, k.entity.PrivateKey, signConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("sign Release: %w", err)
	}
	if _, err := w.Write(release); err != nil {
		return nil, nil, fmt.Errorf("sign Release: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("sign Release: %w", err)
	}
	var det bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&det, k.entity, bytes.NewReader(release), signConfig); err != nil {
		return nil, nil, fmt.Errorf("sign Release: %w", err)
	}
	return in.Bytes(), det.Bytes(), nil
}
