// Command mkdeb builds dist/logsieve_<version>_amd64.deb (`make deb`) with the nfpm
// library from the files the release tarball installs: the binary as /usr/bin/logsieve,
// the hardened unit (ExecStart pointed at /usr/bin), /etc/logsieve/logsieve.toml as a
// conffile, the sysctl file, the nginx site as an example under /usr/share/logsieve/,
// the man page, and the maintainer scripts of packaging/deb/.
//
// It is its own Go module so that nfpm and its dependencies stay out of the server's
// go.mod and binary.
package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

const (
	pkgName    = "logsieve"
	maintainer = "logsieve maintainers <logsieve@users.noreply.github.com>"
	homepage   = "https://github.com/logsieve/logsieve"
	// optBinary is the tarball's binary path, which the unit names; the package's is binDst.
	optBinary = "/opt/logsieve/bin/logsieve"
	binDst    = "/usr/bin/logsieve"
	unitDst   = "/lib/systemd/system/logsieve.service"
	docDir    = "/usr/share/doc/logsieve"
	shareDir  = "/usr/share/logsieve"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkdeb", flag.ContinueOnError)
	repo := fs.String("repo", ".", "repository root (systemd/, configs/, nginx/, packaging/deb/)")
	binary := fs.String("binary", "", "the logsieve binary (default REPO/bin/logsieve)")
	out := fs.String("out", "", "output folder (default REPO/dist)")
	version := fs.String("version", "", "Debian version (default: from git describe in REPO)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" {
		*binary = filepath.Join(*repo, "bin", "logsieve")
	}
	if *out == "" {
		*out = filepath.Join(*repo, "dist")
	}
	if *version == "" {
		v, err := gitVersion(*repo)
		if err != nil {
			return err
		}
		*version = v
	}
	if !validDebVersion(*version) {
		return fmt.Errorf("%q is not a valid Debian version", *version)
	}
	path, err := build(*repo, *binary, *out, *version)
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}

// gitVersion maps `git describe` of repo to a Debian version (see debVersion).
func gitVersion(repo string) (string, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		b, err := cmd.Output()
		return strings.TrimSpace(string(b)), err
	}
	desc, err := git("describe", "--tags", "--long", "--always", "--dirty")
	if err != nil {
		return "", fmt.Errorf("git describe: %w", err)
	}
	n, err := git("rev-list", "--count", "HEAD")
	if err != nil {
		return "", fmt.Errorf("git rev-list: %w", err)
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		return "", fmt.Errorf("git rev-list --count: %q", n)
	}
	return debVersion(desc, count), nil
}

var describeRE = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.+~]*)-([0-9]+)-g([0-9a-f]+)(-dirty)?$`)
var hashRE = regexp.MustCompile(`^([0-9a-f]+)(-dirty)?$`)

// debVersion maps the output of `git describe --tags --long --always --dirty` to a
// Debian version that sorts like the history: a tag vX.Y.Z is X.Y.Z, N commits after it
// X.Y.Z+gitN.HASH; without any tag (describe gives the bare hash) 0.0.0+gitN.HASH with
// N the commit count; a dirty tree adds .dirty. Native versions (no Debian revision).
func debVersion(describe string, commits int) string {
	if m := describeRE.FindStringSubmatch(describe); m != nil {
		v := m[1]
		if m[2] != "0" {
			v += "+git" + m[2] + "." + m[3]
		}
		if m[4] != "" {
			v += "+dirty"
		}
		return v
	}
	if m := hashRE.FindStringSubmatch(describe); m != nil {
		v := fmt.Sprintf("0.0.0+git%d.%s", commits, m[1])
		if m[2] != "" {
			v += ".dirty"
		}
		return v
	}
	return "0.0.0+" + regexp.MustCompile(`[^0-9A-Za-z.+~]+`).ReplaceAllString(describe, ".")
}

var debVersionRE = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~]*(-[0-9A-Za-z.+~]+)?$`)

func validDebVersion(v string) bool { return debVersionRE.MatchString(v) }

// libcDepends returns "libc6 (>= 2.X)" for the newest GLIBC_2.X symbol version the
// binary imports (what dpkg-shlibdeps would compute for libc alone).
func libcDepends(binary string) (string, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return "", err
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		return "", fmt.Errorf("%s: %w", binary, err)
	}
	best := [2]int{}
	for _, s := range syms {
		v, ok := strings.CutPrefix(s.Version, "GLIBC_")
		if !ok {
			continue
		}
		maj, min, _ := strings.Cut(v, ".")
		a, err1 := strconv.Atoi(maj)
		b, err2 := strconv.Atoi(strings.SplitN(min, ".", 2)[0])
		if err1 != nil || err2 != nil {
			continue
		}
		if a > best[0] || (a == best[0] && b > best[1]) {
			best = [2]int{a, b}
		}
	}
	if best[0] == 0 {
		return "", errors.New(binary + " imports no GLIBC_ symbol versions; is it a cgo (dynamic) build?")
	}
	return fmt.Sprintf("libc6 (>= %d.%d)", best[0], best[1]), nil
}

// debUnit is the tarball's unit with the binary at /usr/bin.
func debUnit(unit []byte) ([]byte, error) {
	if !bytes.Contains(unit, []byte("ExecStart="+optBinary+" ")) {
		return nil, fmt.Errorf("the unit's ExecStart does not start with %s", optBinary)
	}
	unit = bytes.ReplaceAll(unit, []byte(optBinary), []byte(binDst))
	return bytes.ReplaceAll(unit, []byte("Installed by installer/install.sh as\n# /etc/systemd/system/logsieve.service"),
		[]byte("Installed by the Debian package as\n# "+unitDst)), nil
}

// changelog is a one-entry Debian changelog for this build (native package).
func changelog(version string, when time.Time) string {
	return fmt.Sprintf("%s (%s) unstable; urgency=medium\n\n  * Built from the git tree; its history lists the changes.\n\n -- %s  %s\n",
		pkgName, version, maintainer, when.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}

// gz compresses b the way lintian wants (max compression, no name or time stamp).
func gz(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func build(repo, binary, outDir, version string) (string, error) {
	deb := filepath.Join(repo, "packaging", "deb")
	depends, err := libcDepends(binary)
	if err != nil {
		return "", err
	}
	unit, err := os.ReadFile(filepath.Join(repo, "systemd", "logsieve.service"))
	if err != nil {
		return "", err
	}
	unit, err = debUnit(unit)
	if err != nil {
		return "", err
	}
	// Generated files go to a temp folder; nfpm reads every content from a path.
	tmp, err := os.MkdirTemp("", "mkdeb")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	now := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			now = time.Unix(sec, 0)
		}
	}
	cl, err := gz([]byte(changelog(version, now)))
	if err != nil {
		return "", err
	}
	man, err := os.ReadFile(filepath.Join(deb, "logsieve.1"))
	if err != nil {
		return "", err
	}
	manGz, err := gz(man)
	if err != nil {
		return "", err
	}
	gen := map[string][]byte{"logsieve.service": unit, "changelog.gz": cl, "logsieve.1.gz": manGz}
	for name, b := range gen {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
	}
	contents := files.Contents{
		file(binary, binDst, 0o755),
		file(filepath.Join(tmp, "logsieve.service"), unitDst, 0o644),
		{Source: filepath.Join(repo, "configs", "logsieve.toml"), Destination: "/etc/logsieve/logsieve.toml",
			Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o644}}, // postinst: 0640 root:logsieve
		file(filepath.Join(deb, "60-logsieve.conf"), "/usr/lib/sysctl.d/60-logsieve.conf", 0o644),
		file(filepath.Join(repo, "nginx", "logsieve.conf"), shareDir+"/nginx/logsieve.conf", 0o644),
		file(filepath.Join(deb, "enable-nginx-site"), shareDir+"/enable-nginx-site", 0o755),
		file(filepath.Join(tmp, "logsieve.1.gz"), "/usr/share/man/man1/logsieve.1.gz", 0o644),
		file(filepath.Join(deb, "copyright"), docDir+"/copyright", 0o644),
		file(filepath.Join(tmp, "changelog.gz"), docDir+"/changelog.gz", 0o644),
	}
	info := &nfpm.Info{
		Name:          pkgName,
		Arch:          "amd64",
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    maintainer,
		Homepage:      homepage,
		Description: "self-hosted syslog appliance\n" +
			"logsieve receives syslog over UDP, TCP and TLS, extracts fields with per-engine\n" +
			"regular expressions into SQLite day files, and serves a web dashboard with\n" +
			"search, live tail, CSV export and alerts. One binary; the service runs as the\n" +
			"unprivileged logsieve user under a hardened systemd unit.",
		MTime: now,
		Overridables: nfpm.Overridables{
			Depends:  []string{depends},
			Suggests: []string{"nginx | nginx-light", "openssl"},
			Contents: contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(deb, "postinst"),
				PreRemove:   filepath.Join(deb, "prerm"),
				PostRemove:  filepath.Join(deb, "postrm"),
			},
			Deb: nfpm.Deb{Compression: "gzip"},
		},
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(outDir, fmt.Sprintf("%s_%s_amd64.deb", pkgName, version))
	f, err := os.CreateTemp(outDir, ".mkdeb-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := pkg.Package(info, f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return dst, os.Rename(f.Name(), dst)
}
