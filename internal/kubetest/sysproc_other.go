//go:build !linux

package kubetest

import "syscall"

// sysProcAttr has no parent-death signal to ask for outside Linux; Cleanup
// still stops the servers.
func sysProcAttr() *syscall.SysProcAttr { return nil }
