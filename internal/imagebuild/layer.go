// Package imagebuild writes container images without a container engine: one-layer images whose
// files come from this machine (a static binary, or a dynamic one with its whole ldd closure), in
// docker-archive tarballs that `ctr images import` loads and that can be pushed to a registry.
package imagebuild

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// epoch is every entry's mtime: the same inputs give the same layer digest.
var epoch = time.Unix(0, 0)

// Layer builds one image layer as an uncompressed tar file on disk (binaries run to hundreds
// of MB; memory is not the place for them). Parents are added as directories once each.
type Layer struct {
	f    *os.File
	tw   *tar.Writer
	seen map[string]bool
}

// NewLayer starts a layer in a temporary file under dir.
func NewLayer(dir string) (*Layer, error) {
	f, err := os.CreateTemp(dir, "layer-*.tar")
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return &Layer{f: f, tw: tar.NewWriter(f), seen: map[string]bool{}}, nil
}

// Path is the layer's tar file (complete only after Close).
func (l *Layer) Path() string { return l.f.Name() }

// Close finishes the tar file.
func (l *Layer) Close() error {
	if err := l.tw.Close(); err != nil {
		l.f.Close()
		return fmt.Errorf("layer %s: %w", l.f.Name(), err)
	}
	return l.f.Close()
}

// Remove deletes the layer's file.
func (l *Layer) Remove() error { return os.Remove(l.f.Name()) }

func clean(p string) string { return path.Clean("/" + p) }

// name is the entry name in the tar: relative, as docker-archive layers have them.
func entryName(p string) string { return strings.TrimPrefix(p, "/") }

func (l *Layer) parents(p string) error {
	dir := path.Dir(p)
	if dir == "/" || l.seen[dir] {
		return nil
	}
	return l.Dir(dir, 0o755, 0, 0)
}

func (l *Layer) header(h *tar.Header) error {
	p := clean(h.Name)
	if l.seen[p] {
		return nil
	}
	if err := l.parents(p); err != nil {
		return err
	}
	l.seen[p] = true
	h.Name = entryName(p)
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	h.ModTime, h.Format = epoch, tar.FormatPAX
	if err := l.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("layer: %s: %w", p, err)
	}
	return nil
}

// Dir adds a directory owned by uid:gid.
func (l *Layer) Dir(p string, mode os.FileMode, uid, gid int) error {
	m := int64(mode.Perm())
	if mode&os.ModeSticky != 0 {
		m |= 0o1000
	}
	return l.header(&tar.Header{Typeflag: tar.TypeDir, Name: p, Mode: m, Uid: uid, Gid: gid})
}

// Symlink adds p pointing to target.
func (l *Layer) Symlink(p, target string) error {
	return l.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777})
}

// Bytes adds a regular file with the given content.
func (l *Layer) Bytes(p string, mode os.FileMode, data []byte) error {
	if l.seen[clean(p)] {
		return nil
	}
	if err := l.header(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: int64(mode.Perm()), Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := l.tw.Write(data)
	return err
}

// File adds the host file src (its content, symlinks followed) at p.
func (l *Layer) File(p string, mode os.FileMode, src string) error {
	if l.seen[clean(p)] {
		return nil
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("layer: %s is not a regular file", src)
	}
	if err := l.header(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: int64(mode.Perm()), Size: fi.Size()}); err != nil {
		return err
	}
	if _, err := io.Copy(l.tw, f); err != nil {
		return fmt.Errorf("layer: %s: %w", src, err)
	}
	return nil
}

// HostPath adds the host's file p at the same place, with every symlink on the way (Debian's
// merged /usr: /lib -> usr/lib; alternatives) recreated, so the dynamic loader and dlopen find
// the file under each name the host's programs use.
func (l *Layer) HostPath(p string) error { return l.hostPath(clean(p), 0) }

func (l *Layer) hostPath(p string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("layer: %s: too many levels of symlinks", p)
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return fmt.Errorf("layer: %w", err)
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("layer: %w", err)
			}
			if err := l.Symlink(next, target); err != nil {
				return err
			}
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			return l.hostPath(path.Join(append([]string{target}, parts[i+1:]...)...), depth+1)
		case fi.IsDir():
			if i == len(parts)-1 {
				return l.Dir(next, fi.Mode(), 0, 0)
			}
			if err := l.Dir(next, fi.Mode(), 0, 0); err != nil {
				return err
			}
		default:
			if i != len(parts)-1 {
				return fmt.Errorf("layer: %s is not a directory", next)
			}
			return l.File(next, fi.Mode(), next)
		}
		cur = next
	}
	return nil
}

// HostBinary adds the host executable or shared object p and every library `ldd` says it
// loads (the dynamic loader included). A static binary brings only itself.
func (l *Layer) HostBinary(p string) error {
	libs, err := LinkedLibraries(p)
	if err != nil {
		return err
	}
	for _, lib := range append([]string{p}, libs...) {
		if err := l.HostPath(lib); err != nil {
			return err
		}
	}
	return nil
}

// LinkedLibraries lists the absolute paths `ldd` prints for p: its whole closure of shared
// libraries and the loader; none for a static binary.
func LinkedLibraries(p string) ([]string, error) {
	out, err := exec.Command("ldd", p).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) || bytes.Contains(out, []byte("statically linked")) {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %w: %s", p, err, bytes.TrimSpace(out))
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.Contains(line, "not found") {
			return nil, fmt.Errorf("ldd %s: %s", p, line)
		}
		if _, after, ok := strings.Cut(line, "=> "); ok {
			line = after
		}
		lib, _, _ := strings.Cut(line, " ")
		if filepath.IsAbs(lib) {
			libs = append(libs, lib)
		}
	}
	return libs, sc.Err()
}
