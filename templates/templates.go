// Package templates embeds the site's HTML templates and stylesheet, so the
// binary needs no files at run time and the site loads no network assets.
package templates

import "embed"

// FS holds *.html templates and static assets (stylesheets, the search
// script).
//
//go:embed *.html *.css *.js
var FS embed.FS
