package kubetest

import "syscall"

// sysProcAttr asks the kernel to SIGKILL the servers when the test binary
// dies, so a test binary killed by -timeout or ^C does not leave an
// apiserver and etcd running. Cleanup stops them properly otherwise.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
