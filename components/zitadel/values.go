package zitadel

import (
	"strconv"
	"strings"

	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/stacks"
)

// Names of the Secrets the component makes and the chart's pods read.
const (
	MasterkeySecret = "zitadel-masterkey"
	AdminSecret     = "zitadel-admin"
	SMTPSecret      = "zitadel-smtp"
)

// secretEnv is an environment variable of Zitadel's pods taken from a key of a Secret: the chart's
// values name the Secret, never the value (unknown outputs in values break previews, and values
// are stored in the Helm release in plaintext).
func secretEnv(name, secret, key string) map[string]any {
	return map[string]any{"name": name, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": secret, "key": key}}}
}

// Values are the zitadel chart's values for the spec: replicas and a PodDisruptionBudget, the
// image of the spec's version, ExternalDomain behind TLS ended at the gateway, the database, the
// first instance and SMTP, every credential by Secret reference.
func Values(z *stacks.Zitadel, db *database.Database) map[string]any {
	pg := map[string]any{
		"Host": db.Host, "Port": db.Port, "Database": db.Name,
		"MaxOpenConns": 20, "MaxIdleConns": 10, "MaxConnLifetime": "30m", "MaxConnIdleTime": "5m",
		"User":  map[string]any{"Username": "zitadel", "SSL": map[string]any{"Mode": db.SSLMode}},
		"Admin": map[string]any{"Username": "postgres", "SSL": map[string]any{"Mode": db.SSLMode}},
	}
	dbConfig := map[string]any{"Postgres": pg}
	env := []any{
		secretEnv("ZITADEL_DATABASE_POSTGRES_USER_PASSWORD", db.UserSecret, "password"),
		secretEnv("ZITADEL_DATABASE_POSTGRES_ADMIN_PASSWORD", db.AdminSecret, "password"),
	}
	chartDB := map[string]any{}
	// CloudNativePG's bootstrap made the database and its owner: the init Job only creates
	// Zitadel's schemas in it, as the chart's CloudNativePG example does (its database, user and
	// grant steps are for a server where they do not exist yet).
	initJob := map[string]any{"command": "zitadel"}
	if db.CASecret != "" {
		// CockroachDB (Zitadel v2): client certificates instead of passwords.
		dbConfig = map[string]any{"Cockroach": map[string]any{
			"Host": db.Host, "Port": db.Port, "Database": db.Name, "MaxOpenConns": 20, "MaxIdleConns": 10,
			"User":  map[string]any{"Username": "zitadel", "SSL": map[string]any{"Mode": db.SSLMode}},
			"Admin": map[string]any{"Username": "root", "SSL": map[string]any{"Mode": db.SSLMode}},
		}}
		env = nil
		// CockroachDB has neither: Zitadel's whole init makes them as root.
		initJob = nil
		chartDB = map[string]any{"dbSslCaCrtSecret": db.CASecret, "dbSslAdminCrtSecret": db.AdminCertSecret, "dbSslUserCrtSecret": db.UserCertSecret}
	}
	config := map[string]any{
		"Log":            map[string]any{"Level": z.LogLevel, "Formatter": map[string]any{"Format": "json"}},
		"ExternalDomain": z.ExternalDomain,
		// TLS ends at the ORB's gateway: Zitadel serves plain HTTP/2 inside the cluster and builds
		// its URLs as https on port 443.
		"ExternalSecure": true,
		"ExternalPort":   443,
		"TLS":            map[string]any{"Enabled": false},
		"Database":       dbConfig,
	}
	if f := z.FirstInstance; f != nil {
		human := map[string]any{"UserName": f.Admin.Username, "PasswordChangeRequired": true}
		if f.Admin.Email != "" {
			human["Email"] = map[string]any{"Address": f.Admin.Email, "Verified": true}
		}
		config["FirstInstance"] = map[string]any{"Org": map[string]any{"Name": f.Org, "Human": human}}
		env = append(env, secretEnv("ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORD", AdminSecret, "password"))
	}
	if s := z.SMTP; s != nil {
		smtp := map[string]any{"Host": s.Host}
		if s.User != "" {
			smtp["User"] = s.User
		}
		config["DefaultInstance"] = map[string]any{"SMTPConfiguration": map[string]any{
			"SMTP": smtp, "TLS": true, "From": s.From, "FromName": s.FromName,
		}}
		if s.PasswordSecret != "" {
			env = append(env, secretEnv("ZITADEL_DEFAULTINSTANCE_SMTPCONFIGURATION_SMTP_PASSWORD", SMTPSecret, "password"))
		}
	}
	values := map[string]any{
		"replicaCount": z.Replicas,
		"image":        map[string]any{"tag": z.Version},
		"zitadel":      zitadelValues(config, chartDB),
		"env":          env,
		"ingress":      map[string]any{"enabled": false},
		// Spread the replicas over nodes: the chart labels Zitadel's own pods (not its Jobs' or the
		// login UI's) with the component start.
		"affinity": map[string]any{"podAntiAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{
			map[string]any{"weight": 100, "podAffinityTerm": map[string]any{
				"topologyKey": "kubernetes.io/hostname",
				"labelSelector": map[string]any{"matchLabels": map[string]any{
					"app.kubernetes.io/name": "zitadel", "app.kubernetes.io/instance": "zitadel", "app.kubernetes.io/component": "start",
				}},
			}},
		}}},
	}
	if initJob != nil {
		values["initJob"] = initJob
	}
	// A drain or an upgrade of nodes keeps one replica serving, of Zitadel and of the login UI the
	// chart deploys beside it (chart 9 on; one replica by default, which would be the only way in).
	login := map[string]any{"replicaCount": z.Replicas}
	if z.Replicas > 1 {
		values["pdb"] = map[string]any{"enabled": true, "minAvailable": 1}
		login["pdb"] = map[string]any{"enabled": true, "minAvailable": 1}
	}
	if loginUI(z.Chart.Version) {
		values["login"] = login
	}
	if r := z.Resources; r != nil {
		res := map[string]any{}
		if len(r.Requests) > 0 {
			res["requests"] = toAny(r.Requests)
		}
		if len(r.Limits) > 0 {
			res["limits"] = toAny(r.Limits)
		}
		values["resources"] = res
	}
	return values
}

func zitadelValues(config, chartDB map[string]any) map[string]any {
	out := map[string]any{"masterkeySecretName": MasterkeySecret, "configmapConfig": config}
	for k, v := range chartDB {
		out[k] = v
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// loginUI says whether the zitadel chart of version v deploys the login UI (service
// zitadel-login, port 3000): 9.0.0 and later do (login.enabled defaults to true); the v2 line's
// charts have none. An unparsable version (a local chart's) is taken as a current one.
func loginUI(v string) bool {
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	return err != nil || major >= 9
}
