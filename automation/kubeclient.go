package automation

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeClient is the little of the Kubernetes API that takeoff needs beyond the engine: it writes the
// orbconfig Secret, which must never pass through Pulumi's state, and waits for the reconciler.
type kubeClient struct {
	server string
	token  string
	http   *http.Client
}

type kubeconfigFile struct {
	CurrentContext string `yaml:"current-context"`
	Contexts       []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server   string `yaml:"server"`
			CAData   string `yaml:"certificate-authority-data"`
			Insecure bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token    string `yaml:"token"`
			CertData string `yaml:"client-certificate-data"`
			KeyData  string `yaml:"client-key-data"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// newKubeClient reads a kubeconfig's current context (inline certificates and tokens only).
func newKubeClient(kubeconfig string) (*kubeClient, error) {
	var kc kubeconfigFile
	if err := yaml.Unmarshal([]byte(kubeconfig), &kc); err != nil {
		return nil, errors.New("orbos:kubeconfig is not a kubeconfig")
	}
	var clusterName, userName string
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	c := &kubeClient{}
	for _, cl := range kc.Clusters {
		if cl.Name != clusterName {
			continue
		}
		c.server = cl.Cluster.Server
		if cl.Cluster.CAData != "" {
			ca, err := base64.StdEncoding.DecodeString(cl.Cluster.CAData)
			if err != nil {
				return nil, errors.New("orbos:kubeconfig: certificate-authority-data is not base64")
			}
			tlsConfig.RootCAs = x509.NewCertPool()
			tlsConfig.RootCAs.AppendCertsFromPEM(ca)
		}
		tlsConfig.InsecureSkipVerify = cl.Cluster.Insecure //nolint:gosec // the user's kubeconfig asks for it
	}
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		c.token = u.User.Token
		if u.User.CertData != "" {
			cert, err1 := base64.StdEncoding.DecodeString(u.User.CertData)
			key, err2 := base64.StdEncoding.DecodeString(u.User.KeyData)
			pair, err3 := tls.X509KeyPair(cert, key)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, errors.New("orbos:kubeconfig: the client certificate is not usable")
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		}
	}
	if c.server == "" {
		return nil, fmt.Errorf("orbos:kubeconfig: no cluster for the current context %q", kc.CurrentContext)
	}
	c.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	return c, nil
}

func (c *kubeClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// applySecret creates or replaces a Secret. Its content is never logged.
func (c *kubeClient) applySecret(ctx context.Context, namespace, name string, data map[string][]byte, labels map[string]string) error {
	secret := map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"data":     data,
	}
	base := "/api/v1/namespaces/" + namespace + "/secrets"
	code, _, err := c.do(ctx, http.MethodPut, base+"/"+name, secret)
	if err == nil && code == http.StatusNotFound {
		code, _, err = c.do(ctx, http.MethodPost, base, secret)
	}
	if err != nil {
		return fmt.Errorf("writing the Secret %s/%s: %w", namespace, name, err)
	}
	if code/100 != 2 {
		return fmt.Errorf("writing the Secret %s/%s: the API server answered HTTP %d", namespace, name, code)
	}
	return nil
}

// deploymentAvailable reports whether a Deployment has an available replica.
func (c *kubeClient) deploymentAvailable(ctx context.Context, namespace, name string) (bool, error) {
	code, body, err := c.do(ctx, http.MethodGet, "/apis/apps/v1/namespaces/"+namespace+"/deployments/"+name, nil)
	if err != nil || code != http.StatusOK {
		return false, errors.Join(err, fmt.Errorf("reading the Deployment %s/%s: HTTP %d", namespace, name, code))
	}
	var d struct {
		Status struct {
			AvailableReplicas int `json:"availableReplicas"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return false, err
	}
	return d.Status.AvailableReplicas > 0, nil
}

// secretValue reads one key of a Secret; found is false when the Secret or the key is absent.
func (c *kubeClient) secretValue(ctx context.Context, namespace, name, key string) (value []byte, found bool, err error) {
	code, body, err := c.do(ctx, http.MethodGet, "/api/v1/namespaces/"+namespace+"/secrets/"+name, nil)
	if err != nil {
		return nil, false, fmt.Errorf("reading the Secret %s/%s: %w", namespace, name, err)
	}
	if code == http.StatusNotFound {
		return nil, false, nil
	}
	if code != http.StatusOK {
		return nil, false, fmt.Errorf("reading the Secret %s/%s: the API server answered HTTP %d", namespace, name, code)
	}
	var s struct {
		Data map[string][]byte `json:"data"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, false, fmt.Errorf("reading the Secret %s/%s: %w", namespace, name, err)
	}
	v, ok := s.Data[key]
	return v, ok, nil
}
