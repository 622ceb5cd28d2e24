package backup

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a pg_dump or pg_restore end with the process that
// started it: a killed backup leaves no tool writing into its folder.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
