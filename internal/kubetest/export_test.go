package kubetest

import "time"

// SetMappingWait shortens how long Apply waits for an unknown kind, so the
// test of that error does not take the full wait; it returns the restore.
func SetMappingWait(d time.Duration) (restore func()) {
	old := mappingWait
	mappingWait = d
	return func() { mappingWait = old }
}
