package toolstatus

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ReleaseSecret is one revision of a Helm release as Helm 3 stores it: a Secret labelled
// owner=helm, name=<release>, status=<status>, version=<revision>.
type ReleaseSecret struct {
	Name     string
	Revision int
	Status   string
}

// ReleaseSecrets lists the revisions of a Helm release in a namespace, newest last. Only the
// labels are read: the release record itself (which holds the chart's values) is not kept.
func ReleaseSecrets(ctx context.Context, get Get, namespace, release string) ([]ReleaseSecret, error) {
	items, err := releaseItems(ctx, get, namespace, release)
	if err != nil {
		return nil, err
	}
	out := make([]ReleaseSecret, 0, len(items))
	for _, it := range items {
		out = append(out, it.secret())
	}
	return out, nil
}

type releaseItem struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Data struct {
		Release string `json:"release"`
	} `json:"data"`
}

func (it releaseItem) secret() ReleaseSecret {
	n, _ := strconv.Atoi(it.Metadata.Labels["version"])
	return ReleaseSecret{Name: it.Metadata.Name, Revision: n, Status: it.Metadata.Labels["status"]}
}

func releaseItems(ctx context.Context, get Get, namespace, release string) ([]releaseItem, error) {
	q := url.Values{"labelSelector": {"owner=helm,name=" + release}}
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/secrets?" + q.Encode()
	var list struct {
		Items []releaseItem `json:"items"`
	}
	code, err := getJSON(ctx, get, path, &list)
	if err != nil {
		return nil, fmt.Errorf("reading the Helm release %s: %w", release, err)
	}
	if code == http.StatusNotFound {
		return nil, nil
	}
	items := list.Items
	// Sorted by revision, newest last.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].secret().Revision < items[j-1].secret().Revision; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	return items, nil
}

type release struct {
	status    string
	workloads []Ref
}

// latestRelease returns the newest revision's status and the workloads of its manifest.
func latestRelease(ctx context.Context, get Get, namespace, name string) (release, error) {
	items, err := releaseItems(ctx, get, namespace, name)
	if err != nil || len(items) == 0 {
		return release{}, err
	}
	last := items[len(items)-1]
	r := release{status: last.secret().Status}
	manifest, err := decodeManifest(last.Data.Release)
	if err != nil {
		return release{}, fmt.Errorf("the Helm release %s revision %d: %w", name, last.secret().Revision, err)
	}
	r.workloads = workloadsOf(manifest, namespace)
	return r, nil
}

// decodeManifest unpacks a release record: base64 of gzipped JSON, inside the Secret's own base64.
func decodeManifest(data string) (string, error) {
	once, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", errors.New("not base64")
	}
	twice, err := base64.StdEncoding.DecodeString(string(once))
	if err != nil {
		return "", errors.New("not a Helm release record")
	}
	raw := twice
	if bytes.HasPrefix(twice, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(twice))
		if err != nil {
			return "", err
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, 64<<20)); err != nil {
			return "", err
		}
	}
	var rec struct {
		Manifest string `json:"manifest"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return "", errors.New("not a Helm release record")
	}
	return rec.Manifest, nil
}

// workloadsOf lists a rendered manifest's Deployments, StatefulSets and DaemonSets.
func workloadsOf(manifest, namespace string) []Ref {
	var out []Ref
	dec := yaml.NewDecoder(bytes.NewReader([]byte(manifest)))
	for {
		var obj struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // what Helm applied parsed; a document this reader cannot type is not a workload
		}
		if obj.APIVersion != "apps/v1" || workloadKinds[obj.Kind] == "" {
			continue
		}
		ns := obj.Metadata.Namespace
		if ns == "" {
			ns = namespace
		}
		out = append(out, Ref{Kind: obj.Kind, Namespace: ns, Name: obj.Metadata.Name})
	}
	return out
}

func getJSON(ctx context.Context, get Get, path string, v any) (int, error) {
	code, body, err := get(ctx, path)
	if err != nil {
		return 0, err
	}
	if code == http.StatusNotFound {
		return code, nil
	}
	if code != http.StatusOK {
		return code, fmt.Errorf("HTTP %d", code)
	}
	return code, json.Unmarshal(body, v)
}
