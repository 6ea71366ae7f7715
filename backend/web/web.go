// Package web serves the built dashboard (a single-page app) embedded in the binary.
package web

import (
	"io/fs"
)

// Assets returns the built SPA: index.html at its root. hasUI reports whether a real
// build is embedded (false, with a stub page as fsys, for a no_ui build or when the SPA
// was not built).
func Assets() (fsys fs.FS, hasUI bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return stubFS(), false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return stubFS(), false
	}
	return sub, true
}
