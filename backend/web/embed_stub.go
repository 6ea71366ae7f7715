//go:build no_ui

package web

import "embed"

var dist embed.FS
