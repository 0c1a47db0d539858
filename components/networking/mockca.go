package networking

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MockIssue stands in for the Origin CA where its provider cannot run (unit tests and `orbctl
// preview --mocks`): it issues a real certificate for the CSR's key and hostnames, valid for
// validityDays, signed by a throw-away CA, so the TLS Secret built from it holds a matching pair.
func MockIssue(csrPEM string, validityDays int) (string, error) {
	b, _ := pem.Decode([]byte(csrPEM))
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return "", errors.New("mock Origin CA: the CSR is not PEM")
	}
	req, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return "", fmt.Errorf("mock Origin CA: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return "", fmt.Errorf("mock Origin CA: the CSR's signature: %w", err)
	}
	ca, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: req.Subject, DNSNames: req.DNSNames,
		Issuer:    pkix.Name{CommonName: "orbos mock Origin CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, validityDays),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orbos mock Origin CA"},
		NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, req.PublicKey, ca)
	if err != nil {
		return "", fmt.Errorf("mock Origin CA: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
