// Package demo holds the static demo page served by the console at
// /console/demo/: it registers a passkey and signs in against an app of
// this server and shows the verified result (see docs/console.md).
package demo

import (
	"embed"
	"io/fs"
)

//go:embed index.html demo.js
var files embed.FS

// Files are the demo's static files.
var Files fs.FS = files
