package host

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// A script is fixed text plus the values it works on, and the values reach the text one way only:
// its prelude, one `readonly NAME=<quoted>` line per value, generated from a struct whose fields are
// tagged `sh:"NAME"`. The body template never sees a value: its data is scriptFlags (booleans that
// choose branches) and it refers to values as "$NAME". So quote is the one quoting mechanism, and
// whatever a node or load balancer carries, the command structure of a script stays the same.

// scriptFlags choose the branches of a script body; they are the only data a body template gets.
type scriptFlags struct {
	Init                 bool // the first control plane
	ControlPlane         bool // any control plane
	Cilium               bool // the CNI is cilium
	HostGW               bool // the CNI is hostgw (neither: calico)
	OwnPackageRepository bool // the ORB has its own package repository (else pkgs.k8s.io)
	ImageRepository      bool // kubeadm's images come from the ORB's image repository
}

// header starts every script: the step line names it in messages (internal/sshexec) and is fixed text.
const header = `# Rendered by orbos. Idempotent: every step checks before it changes something.
set -euo pipefail
trap 'echo "orbos: \"$BASH_COMMAND\" failed (line $LINENO)" >&2' ERR
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C
`

var (
	shellName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	stepText  = regexp.MustCompile(`^[a-zA-Z0-9 ,.()-]+$`)
)

// script renders the body template name after the header and the prelude of vars (a struct, or nil).
func script(step, name string, vars any, flags scriptFlags) string {
	if !stepText.MatchString(step) {
		panic(fmt.Sprintf("script %s: step %q is not plain text", name, step)) // steps are constants
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/bash\n# step: " + step + "\n" + header)
	b.WriteString(prelude(vars))
	if err := templates.ExecuteTemplate(&b, name, flags); err != nil {
		panic(fmt.Sprintf("rendering %s: %v", name, err)) // templates are fixed and tested
	}
	return b.String()
}

// prelude declares each field of vars tagged `sh:"NAME"` as a read-only shell variable: strings and
// numbers as NAME='value', string lists as arrays NAME=('a' 'b'); embedded structs add their fields.
func prelude(vars any) string {
	if vars == nil {
		return ""
	}
	var b strings.Builder
	declare(&b, reflect.ValueOf(vars))
	return b.String()
}

func declare(b *strings.Builder, v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			declare(b, v.Field(i))
			continue
		}
		name := f.Tag.Get("sh")
		if !shellName.MatchString(name) {
			panic(fmt.Sprintf("%s.%s: sh tag %q is not a shell variable name", v.Type(), f.Name, name))
		}
		switch fv := v.Field(i); {
		case fv.Kind() == reflect.String:
			fmt.Fprintf(b, "readonly %s=%s\n", name, quote(fv.String()))
		case fv.Kind() == reflect.Int:
			fmt.Fprintf(b, "readonly %s=%s\n", name, quote(strconv.Itoa(int(fv.Int()))))
		case fv.Type() == reflect.TypeOf([]string(nil)):
			elems := make([]string, fv.Len())
			for j := range elems {
				elems[j] = quote(fv.Index(j).String())
			}
			fmt.Fprintf(b, "readonly -a %s=(%s)\n", name, strings.Join(elems, " "))
		default:
			panic(fmt.Sprintf("%s.%s: %s cannot be a shell variable", v.Type(), f.Name, fv.Type()))
		}
	}
}

// quote makes s one shell word that stands for s itself: in single quotes, each single quote in s
// closed, escaped and reopened.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
