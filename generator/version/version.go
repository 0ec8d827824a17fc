// Package version reports the build's version, commit and date, set by the
// Makefile's reproducible -ldflags and read from the module build info when
// installed with `go install`.
package version

import "runtime/debug"

// Set with -ldflags "-X github.com/evident-project/evident/generator/version.Version=...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// String returns the version, e.g. "v0.1.0" or "(devel)".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Revision returns the VCS commit the binary was built from, if known.
func Revision() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
