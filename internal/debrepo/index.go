package debrepo

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Index file names of a flat repository (sources.list: `deb [signed-by=KEY] URL /`).
const (
	PackagesFile   = "Packages"
	PackagesGzFile = "Packages.gz"
	ReleaseFile    = "Release"
	InReleaseFile  = "InRelease"
	ReleaseGPGFile = "Release.gpg"
)

// WriteIndex writes Packages, Packages.gz and Release for the .debs in dir: a flat apt
// repository. Release is unsigned; Sign makes InRelease and Release.gpg from it.
func WriteIndex(dir string, now time.Time) error {
	debs, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil {
		return err
	}
	if len(debs) == 0 {
		return fmt.Errorf("apt repository %s: no .deb", dir)
	}
	sort.Strings(debs)
	var packages bytes.Buffer
	for i, deb := range debs {
		stanza, err := packageStanza(deb)
		if err != nil {
			return err
		}
		if i > 0 {
			packages.WriteString("\n")
		}
		packages.Write(stanza)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(packages.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	indexes := []struct {
		name string
		data []byte
	}{{PackagesFile, packages.Bytes()}, {PackagesGzFile, gz.Bytes()}}
	var release bytes.Buffer
	fmt.Fprintf(&release, "Origin: orbos\nLabel: orbos kubernetes\nArchitectures: amd64\nDate: %s\n", now.UTC().Format(time.RFC1123Z))
	for _, sum := range []struct {
		field string
		new   func() hash.Hash
	}{{"MD5Sum", md5.New}, {"SHA1", sha1.New}, {"SHA256", sha256.New}} {
		fmt.Fprintf(&release, "%s:\n", sum.field)
		for _, ix := range indexes {
			h := sum.new()
			h.Write(ix.data)
			fmt.Fprintf(&release, " %s %d %s\n", hex.EncodeToString(h.Sum(nil)), len(ix.data), ix.name)
		}
	}
	for _, f := range append(indexes, struct {
		name string
		data []byte
	}{ReleaseFile, release.Bytes()}) {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("apt repository: %w", err)
		}
	}
	return nil
}

// packageStanza is deb's control paragraph with the fields apt needs to fetch it.
func packageStanza(deb string) ([]byte, error) {
	control, err := ReadControl(deb)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(deb)
	if err != nil {
		return nil, err
	}
	md5sum, sha1sum, sha256sum := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
	var b bytes.Buffer
	b.Write(bytes.TrimRight(control, "\n"))
	fmt.Fprintf(&b, "\nFilename: %s\nSize: %d\nMD5sum: %x\nSHA1: %x\nSHA256: %x\n",
		filepath.Base(deb), len(data), md5sum, sha1sum, sha256sum)
	return b.Bytes(), nil
}

// ReadControl returns the control file of a .deb (an ar archive whose control.tar.gz holds it).
func ReadControl(deb string) ([]byte, error) {
	f, err := os.Open(deb)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, fmt.Errorf("%s: not a .deb (ar archive)", deb)
	}
	for {
		hdr := make([]byte, 60)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, fmt.Errorf("%s: no control.tar.gz", deb)
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad ar header: %w", deb, err)
		}
		body := io.LimitReader(r, size)
		if name == "control.tar.gz" {
			return controlFromTar(deb, body)
		}
		// Members are 2-byte aligned.
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
			return nil, fmt.Errorf("%s: %w", deb, err)
		}
	}
}

func controlFromTar(deb string, r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: control.tar.gz: %w", deb, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: control.tar.gz has no control file", deb)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: control.tar.gz: %w", deb, err)
		}
		if filepath.Clean(h.Name) == "control" {
			return io.ReadAll(tr)
		}
	}
}

// Stanzas parses a Packages file into its paragraphs' fields (continuation lines joined with
// newlines).
func Stanzas(packages []byte) ([]map[string]string, error) {
	var out []map[string]string
	for _, para := range strings.Split(strings.TrimSpace(string(packages)), "\n\n") {
		fields := map[string]string{}
		var last string
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				if last == "" {
					return nil, fmt.Errorf("packages: continuation line without a field: %q", line)
				}
				fields[last] += "\n" + line
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("packages: not a field: %q", line)
			}
			last = k
			fields[k] = strings.TrimSpace(v)
		}
		out = append(out, fields)
	}
	return out, nil
}
