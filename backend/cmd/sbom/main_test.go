package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSBOMOfARealBinary builds logsieve (no UI, the version stamped as make build does)
// and checks the CycloneDX SBOM of it and the repository's lockfile.
func TestSBOMOfARealBinary(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "logsieve")
	cmd := exec.Command("go", "build", "-tags", "no_ui", "-ldflags", "-X main.version=9.8.7", "-o", exe, "../logsieve")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bom, err := build(exe, "../../../package-lock.json", time.Unix(0, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	if m := bom.Metadata.Component; m.Version != "9.8.7" || m.PURL != "pkg:golang/github.com/logsieve/logsieve@9.8.7" || len(m.Hashes) != 1 {
		t.Errorf("unexpected release component %+v", m)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Fatalf("unexpected header %+v", bom)
	}
	refs := map[string]Component{}
	for _, c := range bom.Components {
		if refs[c.BOMRef].Name != "" {
			t.Fatalf("component %s twice", c.BOMRef)
		}
		refs[c.BOMRef] = c
	}
	want := func(prefix string) Component {
		t.Helper()
		for ref, c := range refs {
			if strings.HasPrefix(ref, prefix) {
				return c
			}
		}
		t.Fatalf("no component %s*", prefix)
		return Component{}
	}
	want("pkg:golang/stdlib@go1.")
	want("pkg:golang/github.com/mattn/go-sqlite3@v1.")
	react := want("pkg:npm/react@")
	if len(react.Hashes) != 1 || react.Hashes[0].Alg != "SHA-512" || len(react.Hashes[0].Content) != 128 {
		t.Errorf("react has no SHA-512 from its integrity: %+v", react.Hashes)
	}
	if len(react.Licenses) != 1 || react.Licenses[0].License == nil || react.Licenses[0].License.ID != "MIT" {
		t.Errorf("react's license; got %+v; want MIT", react.Licenses)
	}
	want("pkg:npm/%40mui/material@")
	if _, dev := refs["pkg:npm/vitest@"]; dev {
		t.Error("a dev-only package is in the SBOM")
	}
	for ref := range refs {
		if strings.HasPrefix(ref, "pkg:npm/vitest@") || strings.HasPrefix(ref, "pkg:npm/eslint@") {
			t.Errorf("dev-only package %s is in the SBOM", ref)
		}
	}
	if len(bom.Dependencies) != 1 || len(bom.Dependencies[0].DependsOn) != len(bom.Components) {
		t.Errorf("the release does not depend on every component")
	}
}

func TestSBOMCommandWritesJSON(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bom.json")
	var so, se bytes.Buffer
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if rc := run([]string{"--binary", exe, "--lock", "../../../package-lock.json", "--version", "1.0.0", "--out", out}, &so, &se); rc != 0 {
		t.Fatalf("sbom exit %d: %s", rc, se.String())
	}
	var m map[string]any
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &m); err != nil || m["bomFormat"] != "CycloneDX" {
		t.Fatalf("output is not a CycloneDX JSON: %v", err)
	}
	md := m["metadata"].(map[string]any)
	if ts := md["timestamp"]; ts != "2023-11-14T22:13:20Z" {
		t.Errorf("timestamp %v; want SOURCE_DATE_EPOCH's", ts)
	}
	if v := md["component"].(map[string]any)["version"]; v != "1.0.0" {
		t.Errorf("release version %v; want --version's 1.0.0", v)
	}
	if rc := run([]string{"--binary", filepath.Join(t.TempDir(), "missing")}, &so, &se); rc != 1 {
		t.Errorf("missing binary; got exit %d; want 1", rc)
	}
}

func TestLdflagsVersion(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := ldflagsVersion(in); got != want {
			t.Errorf("ldflagsVersion(%q) = %q; want %q", in, got, want)
		}
	}
	f("-s -w -X main.version=1.2.3", "1.2.3")
	f("-X=main.version=v0.4.0-3-gabc", "v0.4.0-3-gabc")
	f("-s -w", "")
}
