package web

import (
	"io/fs"
	"testing/fstest"
)

const stubIndex = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>logsieve</title></head>
<body><h1>logsieve</h1><p>The dashboard was not built into this binary (no_ui build or
missing <code>backend/web/dist</code>). Run <code>make build</code>. The API is at
<code>/api/v1</code>.</p></body></html>
`

func stubFS() fs.FS {
	return fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte(stubIndex), Mode: 0o444}}
}
