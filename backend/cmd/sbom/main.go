// Command sbom writes the CycloneDX 1.5 SBOM (JSON) of a logsieve release: the Go modules
// built into the binary (its build info, what `go version -m` prints), the Go toolchain,
// and the npm packages of the embedded dashboard (package-lock.json, packages that are
// not dev-only). `make dist` runs it beside the tarball:
//
//	go run ./backend/cmd/sbom --binary bin/logsieve --lock package-lock.json --version V --out FILE
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sbom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("binary", "bin/logsieve", "the built logsieve binary")
	lock := fs.String("lock", "package-lock.json", "npm lockfile of the embedded dashboard")
	out := fs.String("out", "", "output file (default stdout)")
	version := fs.String("version", "", "the release version (default: -X main.version of the build info; -trimpath builds do not record it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	bom, err := build(*bin, *lock, now(), *version)
	if err != nil {
		fmt.Fprintln(stderr, "sbom:", err)
		return 1
	}
	b, err := json.MarshalIndent(bom, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "sbom:", err)
		return 1
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sbom:", err)
		return 1
	}
	return 0
}

// now is SOURCE_DATE_EPOCH when set (reproducible builds), else the clock.
func now() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC()
}

// BOM is the subset of CycloneDX 1.5 written here.
type BOM struct {
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	SerialNumber string       `json:"serialNumber"`
	Version      int          `json:"version"`
	Metadata     Metadata     `json:"metadata"`
	Components   []Component  `json:"components"`
	Dependencies []Dependency `json:"dependencies"`
}

// Metadata names the release the BOM describes.
type Metadata struct {
	Timestamp string    `json:"timestamp"`
	Tools     Tools     `json:"tools"`
	Component Component `json:"component"`
}

// Tools lists what wrote the BOM.
type Tools struct {
	Components []Component `json:"components"`
}

// Component is one piece of software.
type Component struct {
	Type       string     `json:"type"`
	BOMRef     string     `json:"bom-ref,omitempty"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	PURL       string     `json:"purl,omitempty"`
	Hashes     []Hash     `json:"hashes,omitempty"`
	Licenses   []License  `json:"licenses,omitempty"`
	Properties []Property `json:"properties,omitempty"`
}

// Hash is a digest of a component's artifact.
type Hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

// License is an SPDX id or expression.
type License struct {
	License    *LicenseID `json:"license,omitempty"`
	Expression string     `json:"expression,omitempty"`
}

// LicenseID is one SPDX license id.
type LicenseID struct {
	ID string `json:"id"`
}

// Property is a name/value note.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Dependency says which components a component uses directly.
type Dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// build reads the binary's Go build info and the lockfile's packages; version, when set,
// is the release's version.
func build(binPath, lockPath string, at time.Time, version string) (*BOM, error) {
	bi, err := buildinfo.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read the Go build info of %q: %w", binPath, err)
	}
	raw, err := os.ReadFile(binPath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	for _, s := range bi.Settings {
		if s.Key == "-ldflags" && version == "" {
			version = ldflagsVersion(s.Value)
		}
	}
	if version == "" {
		version = bi.Main.Version
	}
	main := Component{Type: "application", Name: "logsieve", Version: version,
		PURL:   "pkg:golang/" + bi.Main.Path + "@" + version,
		Hashes: []Hash{{"SHA-256", hex.EncodeToString(sum[:])}}}
	main.BOMRef = main.PURL
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS", "GOARCH", "CGO_ENABLED", "vcs.revision", "vcs.time", "vcs.modified", "-tags":
			main.Properties = append(main.Properties, Property{"go:build:" + s.Key, s.Value})
		}
	}
	bom := &BOM{BOMFormat: "CycloneDX", SpecVersion: "1.5", SerialNumber: serial(sum[:]), Version: 1,
		Metadata: Metadata{Timestamp: at.Format(time.RFC3339),
			Tools:     Tools{Components: []Component{{Type: "application", Name: "logsieve sbom (backend/cmd/sbom)"}}},
			Component: main}}
	goRefs := []string{}
	stdlib := Component{Type: "library", Name: "stdlib", Version: bi.GoVersion,
		PURL: "pkg:golang/stdlib@" + bi.GoVersion}
	stdlib.BOMRef = stdlib.PURL
	bom.Components = append(bom.Components, stdlib)
	goRefs = append(goRefs, stdlib.BOMRef)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		c := Component{Type: "library", Name: d.Path, Version: d.Version, PURL: "pkg:golang/" + d.Path + "@" + d.Version}
		c.BOMRef = c.PURL
		if d.Sum != "" {
			c.Properties = []Property{{"go:module:sum", d.Sum}} // the go.sum h1: hash (a dirhash, not a file digest)
		}
		bom.Components = append(bom.Components, c)
		goRefs = append(goRefs, c.BOMRef)
	}
	npm, err := npmComponents(lockPath)
	if err != nil {
		return nil, err
	}
	npmRefs := []string{}
	for _, c := range npm {
		bom.Components = append(bom.Components, c)
		npmRefs = append(npmRefs, c.BOMRef)
	}
	bom.Dependencies = []Dependency{{Ref: main.BOMRef, DependsOn: append(goRefs, npmRefs...)}}
	return bom, nil
}

// ldflagsVersion finds -X main.version=V in the -ldflags build setting.
func ldflagsVersion(ldflags string) string {
	m := regexp.MustCompile(`-X[= ]main\.version=(\S+)`).FindStringSubmatch(ldflags)
	if m == nil {
		return ""
	}
	return strings.Trim(m[1], `'"`)
}

// serial derives a stable urn:uuid (version 5 layout) from the binary's digest, so the
// same binary gets the same serial number.
func serial(sum []byte) string {
	u := make([]byte, 16)
	copy(u, sum)
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// lockPackage is one entry of package-lock.json's "packages".
type lockPackage struct {
	Version   string `json:"version"`
	Integrity string `json:"integrity"`
	License   string `json:"license"`
	Dev       bool   `json:"dev"`
	Link      bool   `json:"link"`
}

// npmComponents returns the lockfile's installed packages that are not dev-only (what the
// dashboard bundle can contain), once per name and version, sorted.
func npmComponents(path string) ([]Component, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lock struct {
		LockfileVersion int                    `json:"lockfileVersion"`
		Packages        map[string]lockPackage `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		return nil, fmt.Errorf("cannot parse %q: %w", path, err)
	}
	if lock.LockfileVersion < 2 {
		return nil, fmt.Errorf("%q: lockfileVersion %d has no \"packages\"; run npm install with npm >= 7", path, lock.LockfileVersion)
	}
	seen := map[string]bool{}
	var out []Component
	for key, p := range lock.Packages {
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || p.Dev || p.Link || p.Version == "" {
			continue // the root, workspaces, links, dev-only packages
		}
		name := key[i+len("node_modules/"):]
		purl := "pkg:npm/" + strings.Replace(name, "@", "%40", 1) + "@" + p.Version
		if seen[purl] {
			continue
		}
		seen[purl] = true
		c := Component{Type: "library", BOMRef: purl, Name: name, Version: p.Version, PURL: purl}
		if alg, digest, ok := strings.Cut(p.Integrity, "-"); ok && alg == "sha512" {
			if b, err := base64.StdEncoding.DecodeString(digest); err == nil {
				c.Hashes = []Hash{{"SHA-512", hex.EncodeToString(b)}}
			}
		}
		if p.License != "" {
			if spdxID.MatchString(p.License) {
				c.Licenses = []License{{License: &LicenseID{ID: p.License}}}
			} else {
				c.Licenses = []License{{Expression: p.License}}
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PURL < out[j].PURL })
	return out, nil
}

var spdxID = regexp.MustCompile(`^[A-Za-z0-9.+-]+$`)
