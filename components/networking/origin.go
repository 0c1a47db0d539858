package networking

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyBits is the size of the origin certificate's RSA key: the Origin CA's origin-rsa requests
// take RSA 2048.
const KeyBits = 2048

// GenerateKey returns a new RSA 2048 private key from crypto/rand in PKCS#1 PEM: orbctl makes it
// once per ORB and keeps it as the stack secret orbos:originKey.
func GenerateKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return "", fmt.Errorf("generating the origin certificate's key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), nil
}

// ParseKey reads a key GenerateKey made. Errors never quote the key.
func ParseKey(keyPEM string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(keyPEM))
	if b == nil {
		return nil, errors.New("the origin certificate's key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, errors.New("the origin certificate's key is neither a PKCS#1 nor a PKCS#8 private key")
	}
	r, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the origin certificate's key is not an RSA key (origin-rsa requests take RSA)")
	}
	return r, nil
}

// CSR is the PEM certificate request for hostnames signed with keyPEM. RSA PKCS#1 v1.5 signatures
// are deterministic, so the same key and hostnames give the same CSR on every run (no replacement
// of the certificate) and other hostnames a new CSR (a new certificate).
func CSR(keyPEM string, hostnames []string) (string, error) {
	k, err := ParseKey(keyPEM)
	if err != nil {
		return "", err
	}
	if len(hostnames) == 0 {
		return "", errors.New("the origin certificate needs hostnames")
	}
	// A common name holds at most 64 characters; the SANs are what clients check.
	var subject pkix.Name
	if len(hostnames[0]) <= 64 {
		subject.CommonName = hostnames[0]
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: subject, DNSNames: hostnames, SignatureAlgorithm: x509.SHA256WithRSA,
	}, k)
	if err != nil {
		return "", fmt.Errorf("making the origin certificate's request: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}
