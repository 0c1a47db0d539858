package zitadel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/policy"
	"github.com/orbos/orbos/stacks"
)

const (
	secretT  = "kubernetes:core/v1:Secret"
	releaseT = "kubernetes:helm.sh/v3:Release"
	routeT   = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	dbT      = "orbos:zitadel:Database"
)

func spec() *stacks.Zitadel {
	return &stacks.Zitadel{
		Enabled: true, Version: "v4.13.0", Chart: stacks.ZitadelChart, Namespace: "zitadel", Replicas: 3,
		ExternalDomain: "id.example.com", LogLevel: "warn",
		Resources:     &stacks.Resources{Requests: map[string]string{"cpu": "250m"}},
		SMTP:          &stacks.ZitadelSMTP{Host: "smtp.example.com:587", User: "zitadel", PasswordSecret: "smtp-password", From: "id@example.com"},
		FirstInstance: &stacks.FirstInstance{Org: "Example", Admin: stacks.ZitadelAdmin{Username: "admin", Email: "admin@example.com"}},
		Database: stacks.Database{Engine: stacks.EnginePostgres, Instances: 2, Storage: stacks.Storage{Size: "10Gi"},
			Backups: &stacks.DBBackups{Schedule: "0 3 * * *", Retention: "30d", ObjectStore: stacks.ObjectStore{Type: "gcs", Bucket: "b-1", Path: "demo", CredentialsSecret: "gcs-key"}}},
	}
}

func install(t *testing.T, orb, masterkey string, z *stacks.Zitadel) *mockengine.Engine {
	t.Helper()
	m, err := mockengine.Run(t, orb, func(ctx *pulumi.Context) error {
		_, err := New(ctx, Args{Orb: orb, Zitadel: z, Masterkey: pulumi.ToSecret(pulumi.String(masterkey)).(pulumi.StringOutput),
			GatewayNamespace: "envoy-gateway-system", Labels: map[string]string{"orbos.io/orb": orb},
			StackSecret: func(name string) (pulumi.StringOutput, error) {
				return pulumi.ToSecret(pulumi.String("value-of-" + name)).(pulumi.StringOutput), nil
			}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The chart is a Release with the spec's replicas, version, domain and log level, a PDB, the
// database by host and Secret references only, and it comes after the database and the Secrets.
func TestZitadelRelease(t *testing.T) {
	m := install(t, "demo", strings.Repeat("k", 32), spec())
	r := m.Get(t, releaseT, "zitadel")
	if r.Str("version") != "9.34.0" || r.Str("chart") != "zitadel" || r.Str("repositoryOpts", "repo") != "https://charts.zitadel.com" {
		t.Errorf("chart %v", r.Inputs)
	}
	// The chart's init and setup Jobs are pre-install/pre-upgrade hooks: the Release runs them
	// (schema migrations before the new pods on every upgrade) and waits for them.
	isTrue := func(key string) bool { v := r.At(key); return v.IsBool() && v.BoolValue() }
	if isTrue("disableHooks") || isTrue("skipAwait") || !isTrue("waitForJobs") || !isTrue("atomic") {
		t.Errorf("hooks: %v", r.Inputs)
	}
	if n := r.At("values", "replicaCount"); !n.IsNumber() || n.NumberValue() != 3 {
		t.Errorf("replicas %v", n)
	}
	if r.Str("values", "image", "tag") != "v4.13.0" || r.Str("values", "resources", "requests", "cpu") != "250m" {
		t.Errorf("image or resources %v", r.At("values"))
	}
	if !r.At("values", "pdb", "enabled").BoolValue() {
		t.Errorf("no PDB with 3 replicas")
	}
	cfg := []string{"values", "zitadel", "configmapConfig"}
	if r.Str(append(cfg, "ExternalDomain")...) != "id.example.com" || !r.At(append(cfg, "ExternalSecure")...).BoolValue() ||
		r.Str(append(cfg, "Log", "Level")...) != "warn" || r.Str(append(cfg, "Database", "Postgres", "Host")...) != "zitadel-db-rw.zitadel.svc" {
		t.Errorf("config %v", r.At(cfg...))
	}
	if r.Str("values", "zitadel", "masterkeySecretName") != MasterkeySecret || r.Str(append(cfg, "FirstInstance", "Org", "Human", "UserName")...) != "admin" {
		t.Errorf("masterkey or first instance: %v", r.At("values", "zitadel"))
	}
	// Passwords reach Zitadel as env from Secrets: the values hold none.
	var envs []string
	for _, e := range r.At("values", "env").ArrayValue() {
		ref := e.ObjectValue()["valueFrom"].ObjectValue()["secretKeyRef"].ObjectValue()
		envs = append(envs, e.ObjectValue()["name"].StringValue()+"="+ref["name"].StringValue())
	}
	for _, want := range []string{"ZITADEL_DATABASE_POSTGRES_USER_PASSWORD=zitadel-db-owner", "ZITADEL_DATABASE_POSTGRES_ADMIN_PASSWORD=zitadel-db-superuser",
		"ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORD=zitadel-admin", "ZITADEL_DEFAULTINSTANCE_SMTPCONFIGURATION_SMTP_PASSWORD=zitadel-smtp"} {
		if !strings.Contains(strings.Join(envs, " "), want) {
			t.Errorf("no env %s in %v", want, envs)
		}
	}
	if all := fmt.Sprint(r.Inputs.Mappable()); strings.Contains(all, "value-of-") || strings.Contains(all, strings.Repeat("k", 32)) {
		t.Error("a secret reached the chart's values")
	}
	for _, dep := range [][2]string{{dbT, "zitadel-db"}, {secretT, MasterkeySecret}, {secretT, AdminSecret}, {secretT, SMTPSecret}} {
		if !r.DependsOn(dep[0], dep[1]) && !(dep[0] == dbT && r.DependsOn("postgresql.cnpg.io/v1:Cluster", "zitadel-db")) {
			t.Errorf("the release does not come after %s %s: %v", dep[0], dep[1], r.Deps)
		}
	}
	one := spec()
	one.Replicas = 1
	if r := install(t, "demo", strings.Repeat("k", 32), one).Get(t, releaseT, "zitadel"); !r.At("values", "pdb").IsNull() {
		t.Errorf("a PDB for one replica would block every drain: %v", r.At("values", "pdb"))
	}
}

// The HTTPRoute attaches to the ORB's Gateway in the gateway tool's namespace, for the domain.
func TestZitadelRoute(t *testing.T) {
	r := install(t, "demo", strings.Repeat("k", 32), spec()).Get(t, routeT, "zitadel")
	parent := r.At("spec", "parentRefs").ArrayValue()[0].ObjectValue()
	if parent["name"].StringValue() != "orbos" || parent["namespace"].StringValue() != "envoy-gateway-system" {
		t.Errorf("parent %v", parent)
	}
	if h := r.At("spec", "hostnames").ArrayValue(); len(h) != 1 || h[0].StringValue() != "id.example.com" {
		t.Errorf("hostnames %v", h)
	}
	rules := r.At("spec", "rules").ArrayValue()
	last := rules[len(rules)-1].ObjectValue()["backendRefs"].ArrayValue()[0].ObjectValue()
	if last["name"].StringValue() != "zitadel" || last["port"].NumberValue() != 8080 {
		t.Errorf("backend %v", last)
	}
}

// The masterkey and the generated admin password are Pulumi secrets; the masterkey's Secret
// carries its hash in plaintext for the policy pack; the admin password differs between ORBs and
// is kept from the first run.
func TestZitadelSecrets(t *testing.T) {
	passwords := map[string]bool{}
	for _, orb := range []string{"one", "two"} {
		key := strings.Repeat(orb[:1], 32)
		m := install(t, orb, key, spec())
		mk := m.Get(t, secretT, MasterkeySecret)
		if !mk.At("stringData").IsSecret() && !mk.At("stringData", "masterkey").IsSecret() {
			t.Errorf("%s: the masterkey is not a secret", orb)
		}
		if MasterkeyHashAnnotation != policy.MasterkeyAnnotation {
			t.Fatalf("the policy pack reads %s, the Secret carries %s", policy.MasterkeyAnnotation, MasterkeyHashAnnotation)
		}
		if h := mk.At("metadata", "annotations", MasterkeyHashAnnotation); h.IsSecret() || h.StringValue() != MasterkeyHash(key) {
			t.Errorf("%s: hash annotation %v", orb, h)
		}
		admin := m.Get(t, secretT, AdminSecret)
		if !admin.At("stringData").IsSecret() || strings.Join(admin.IgnoreChanges, ",") != "stringData,data" {
			t.Errorf("%s: the admin password is not a secret kept from the first run", orb)
		}
		pw := admin.Str("stringData", "password")
		if len(pw) != 32 || passwords[pw] {
			t.Errorf("%s: admin password %d long, seen before: %v", orb, len(pw), passwords[pw])
		}
		passwords[pw] = true
		if s := m.Get(t, secretT, SMTPSecret); s.Str("stringData", "password") != "value-of-smtp-password" || !s.At("stringData").IsSecret() {
			t.Errorf("%s: SMTP password %v", orb, s.Inputs)
		}
	}
}

// On CockroachDB (Zitadel v2) Zitadel connects with the client certificates, not passwords.
func TestZitadelOnCockroachDB(t *testing.T) {
	z := spec()
	z.Version, z.Database.Engine, z.Database.Backups = "v2.71.0", stacks.EngineCockroachDB, nil
	r := install(t, "demo", strings.Repeat("k", 32), z).Get(t, releaseT, "zitadel")
	if r.Str("values", "zitadel", "configmapConfig", "Database", "Cockroach", "Host") != "zitadel-db-cockroachdb-public.zitadel.svc" ||
		r.Str("values", "zitadel", "dbSslUserCrtSecret") != "zitadel-db-zitadel" || r.Str("values", "zitadel", "dbSslCaCrtSecret") != "zitadel-db-root" {
		t.Errorf("values %v", r.At("values", "zitadel"))
	}
	for _, e := range r.At("values", "env").ArrayValue() {
		if strings.Contains(e.ObjectValue()["name"].StringValue(), "DATABASE") {
			t.Errorf("a database password on CockroachDB: %v", e)
		}
	}
}
