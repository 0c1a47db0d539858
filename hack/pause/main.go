// Command pause is the pod sandbox's process: it holds the pod's namespaces and does nothing
// until it is told to stop. Static (CGO_ENABLED=0), so its image needs no libc.
//
// `pause -v` prints its version and exits, as the upstream pause does: kubeadm's upgrade health
// check runs the pause image with -v as a Job and waits for it to complete.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is what -v prints.
const version = "pause (orbos) 3.10"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println(version)
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	// As PID 1 of the sandbox it inherits orphans: reap them so none stays a zombie.
	child := make(chan os.Signal, 1)
	signal.Notify(child, syscall.SIGCHLD)
	for {
		select {
		case <-stop:
			return
		case <-child:
			for {
				var ws syscall.WaitStatus
				if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}
