package stacks

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

const validFile = `encryptionsalt: v1:abc:v1:def:ghi
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes:
      version: v1.31.4
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      ingress:
        enabled: true
        chart: {repository: https://kubernetes.github.io/ingress-nginx, name: ingress-nginx, version: 4.11.3}
        namespace: ingress
      metrics:
        enabled: false
        chart: {version: 65.1.1}
  orbos:kubeconfig:
    secure: v1:xyz
`

func TestParseValidAppliesDefaults(t *testing.T) {
	s, err := Parse("demo", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Kubernetes().Namespace; got != "orbos-system" {
		t.Errorf("namespace default %q", got)
	}
	if tools := s.Tools(); len(tools) != 1 || tools[0].Name != "ingress" || tools[0].Chart.Version != "4.11.3" || tools[0].Namespace != "ingress" {
		t.Errorf("enabled tools %v", tools)
	}
	if s.File.Config.Kubeconfig.Ciphertext != "v1:xyz" {
		t.Errorf("kubeconfig ciphertext %q", s.File.Config.Kubeconfig.Ciphertext)
	}
}

func TestStarterIsValidOnceItHasAKubeconfig(t *testing.T) {
	raw := Starter(StarterOptions{Orb: "demo", EncryptionSalt: "v1:a:b", KubeconfigCiphertext: "v1:c"})
	if _, err := Parse("demo", raw); err != nil {
		t.Fatalf("starter with kubeconfig: %v", err)
	}
	_, err := Parse("demo", Starter(StarterOptions{Orb: "demo", EncryptionSalt: "v1:a:b"}))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Path != "config.orbos:kubeconfig" {
		t.Fatalf("starter without kubeconfig: %v", err)
	}
}

// Each case breaks the valid file in one or more ways; every path must be named.
func TestValidationNamesEveryWrongField(t *testing.T) {
	cases := []struct {
		name      string
		old, new  string
		wantPaths []string
	}{
		{"unknown top-level key", "config:", "colour: red\nconfig:", []string{"colour"}},
		{"unknown config key", "  orbos:boom:", "  orbos:unknown: 1\n  orbos:boom:", []string{"config.orbos:unknown"}},
		{"missing orbiter", "  orbos:orbiter:\n    apiVersion: orbos.io/v1alpha1\n    kubernetes:\n      version: v1.31.4\n", "",
			[]string{"config.orbos:orbiter"}},
		{"bad version", "version: v1.31.4", "version: 1.31", []string{"config.orbos:orbiter.kubernetes.version"}},
		{"missing version", "      version: v1.31.4\n", "      namespace: x\n", []string{"config.orbos:orbiter.kubernetes.version"}},
		{"bad namespace", "      version: v1.31.4\n", "      version: v1.31.4\n      namespace: Not_A_Label\n",
			[]string{"config.orbos:orbiter.kubernetes.namespace"}},
		{"unsupported apiVersion", "apiVersion: orbos.io/v1alpha1\n    kubernetes", "apiVersion: orbos.io/v2\n    kubernetes",
			[]string{"config.orbos:orbiter.apiVersion"}},
		{"kubernetes is a list", "    kubernetes:\n      version: v1.31.4\n", "    kubernetes: [a]\n",
			[]string{"config.orbos:orbiter.kubernetes"}},
		{"a field set twice", "      version: v1.31.4\n", "      version: v1.31.4\n      version: v1.30.0\n",
			[]string{"config.orbos:orbiter.kubernetes.version"}},
		{"a map key set twice", "      metrics:\n", "      ingress: {enabled: false}\n      metrics:\n",
			[]string{"config.orbos:boom.tools.ingress"}},
		{"unpinned chart", "version: 4.11.3", "version: latest", []string{"config.orbos:boom.tools.ingress.chart.version"}},
		{"enabled not a bool", "enabled: true", "enabled: yes please", []string{"config.orbos:boom.tools.ingress.enabled"}},
		{"bad tool name", "      ingress:", "      Ingress_Tool:", []string{"config.orbos:boom.tools.Ingress_Tool"}},
		{"plaintext kubeconfig", "  orbos:kubeconfig:\n    secure: v1:xyz\n", "  orbos:kubeconfig: |\n    apiVersion: v1\n",
			[]string{"config.orbos:kubeconfig"}},
		{"missing salt", "encryptionsalt: v1:abc:v1:def:ghi\n", "", []string{"encryptionsalt"}},
		{"foreign secrets provider", "config:", "secretsprovider: awskms://x\nconfig:", []string{"secretsprovider"}},
		{"zitadel without domain", "  orbos:kubeconfig:", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, enabled: true}\n  orbos:kubeconfig:",
			[]string{"config.orbos:zitadel.enabled", "config.orbos:zitadel.externalDomain"}},
		{"networking of a later version", "  orbos:kubeconfig:", "  orbos:networking: {apiVersion: orbos.io/v2, domain: example.com, provider: route53}\n  orbos:kubeconfig:",
			[]string{"config.orbos:networking.apiTokenSecret", "config.orbos:networking.apiVersion", "config.orbos:networking.provider", "config.orbos:networking.zoneId"}},
		{"three at once", "version: v1.31.4", "version: v1\n      extra: 1", []string{
			"config.orbos:orbiter.kubernetes.extra", "config.orbos:orbiter.kubernetes.version"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(validFile, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			_, err := Parse("demo", []byte(strings.Replace(validFile, c.old, c.new, 1)))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Path)
			}
			for _, p := range c.wantPaths {
				found := false
				for _, g := range got {
					found = found || g == p
				}
				if !found {
					t.Errorf("no error at %s; got %v", p, got)
				}
			}
			if len(got) != len(c.wantPaths) {
				t.Errorf("got %d errors %v, want %d", len(got), ve.Errors, len(c.wantPaths))
			}
			if !strings.Contains(err.Error(), "Pulumi.demo.yaml") {
				t.Errorf("the error does not name the file: %v", err)
			}
		})
	}
}

func TestValidationNeverQuotesAPlaintextSecret(t *testing.T) {
	secret := "token-that-must-not-be-printed-0123456789abcdef"
	raw := strings.Replace(validFile, "  orbos:kubeconfig:\n    secure: v1:xyz\n", "  orbos:kubeconfig: "+secret+"\n", 1)
	_, err := Parse("demo", []byte(raw))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
	_, err = Parse("demo", []byte("config: {orbos:kubeconfig: [\n  "+secret))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("syntax error %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validFile))
	f.Add(Starter(StarterOptions{Orb: "demo", EncryptionSalt: "v1:a:b"}))
	f.Add([]byte("config: {orbos:orbiter: {kubernetes: [1, {a: b}]}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte("config:\n  orbos:boom:\n    tools: {x: ~}\n"))
	for _, ex := range []string{"gce", "static"} {
		if raw, err := os.ReadFile("../examples/" + ex + "/Pulumi." + ex + "-demo.yaml"); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Parse("fuzz", raw)
		if err == nil && s == nil {
			t.Fatal("nil spec without error")
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("not a ValidationError with errors: %v", err)
			}
			for _, fe := range ve.Errors {
				if strings.ContainsAny(fe.String(), "\n\r") {
					t.Fatalf("an error message with a raw line break: %q", fe.String())
				}
			}
			return
		}
		// What passes validation carries no control character, and no white space but in host keys
		// and package keys, into the section whose values reach the machines.
		plainStrings(t, reflect.ValueOf(s.File.Config.Orbiter), "orbiter")
	})
}

func plainStrings(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			plainStrings(t, v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			plainStrings(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			plainStrings(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			plainStrings(t, k, path+"(key)")
			plainStrings(t, v.MapIndex(k), path+"["+k.String()+"]")
		}
	case reflect.String:
		s := v.String()
		switch {
		case strings.HasSuffix(path, ".HostKey"):
			s = strings.ReplaceAll(strings.TrimSuffix(s, "\n"), " ", "")
		case strings.HasSuffix(path, ".PackageRepository.Key"):
			return // an ASCII-armoured OpenPGP key has lines; it reaches machines quoted
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			t.Fatalf("%s = %q passed validation", path, s)
		}
	}
}
