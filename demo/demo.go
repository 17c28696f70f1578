// Package demo holds the static demo page served by the console at
// /console/demo/: it registers a passkey and signs in against an app of
// this server with the official browser client and shows the verified
// result (see docs/console.md).
package demo

import (
	"embed"
	"io/fs"
)

//go:embed index.html demo.js
var files embed.FS

// Files are the demo's static files.
var Files fs.FS = files

// The official browser client, @passwordlessdev/passwordless-client, is
// loaded by index.html from a public CDN rather than copied into this
// repository. The version is pinned in the URL and the integrity hash is
// that of the npm package's dist/umd/passwordless.umd.min.js, so the
// browser refuses any other bytes. index.html must use exactly these
// values (a test checks it); the console allows this one script in the
// demo page's Content-Security-Policy.
const (
	ClientVersion   = "1.2.4"
	ClientScriptURL = "https://cdn.jsdelivr.net/npm/@passwordlessdev/passwordless-client@" + ClientVersion + "/dist/umd/passwordless.umd.min.js"
	ClientIntegrity = "sha384-cEHJfClr1GLubfVIM+AVbDUmXTUBktVnbaq/RVBWMTMrjPcfqY/WLzsLws/xsEE/"
)
