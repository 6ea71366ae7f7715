//go:build !no_ui

package web

import "embed"

//go:embed all:dist
var dist embed.FS
