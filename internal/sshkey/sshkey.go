// Package sshkey makes the per-ORB SSH key pair: ed25519 from crypto/rand, the private key in
// OpenSSH PEM form and the public key as an authorized_keys line.
package sshkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Generate returns a new private key (PEM) and its public key line.
func Generate(comment string) (private, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generating an SSH key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return "", "", fmt.Errorf("encoding the SSH key: %w", err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", fmt.Errorf("encoding the SSH public key: %w", err)
	}
	return string(pem.EncodeToMemory(block)), authorizedLine(sp, comment), nil
}

// Public returns the public key line of a PEM private key.
func Public(private, comment string) (string, error) {
	signer, err := ssh.ParsePrivateKey([]byte(private))
	if err != nil {
		return "", fmt.Errorf("the SSH private key is not usable: %w", err)
	}
	return authorizedLine(signer.PublicKey(), comment), nil
}

func authorizedLine(k ssh.PublicKey, comment string) string {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	if comment != "" {
		line += " " + comment
	}
	return line
}

// Placeholder is a fixed key pair for plans made without the ORB's secrets: never install it.
func Placeholder() (private string) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	block, err := ssh.MarshalPrivateKey(priv, "placeholder")
	if err != nil {
		panic(err) // a fixed key always marshals
	}
	return string(pem.EncodeToMemory(block))
}
