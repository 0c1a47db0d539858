// Command machines starts or removes the local machines that `make demo` makes a cluster of: each a
// network, mount and UTS namespace of its own with its own sshd, on a bridge that reaches nothing
// outside this machine (test/testenv's machines). They outlive the command.
//
//	go run ./hack/machines up DIR NAME...   # prints the inventory as JSON (name, address, port, host key)
//	go run ./hack/machines serve DIR        # the registry and package repository for them (runs until killed)
//	go run ./hack/machines down DIR         # removes every process, namespace, mount, interface and rule
//	go run ./hack/machines sweep            # the same for test networks whose test binary died before its cleanups
//
// DIR keeps the machines' files, their login key (DIR/id_ed25519) and DIR/network.json. Names
// cp-N are control planes, w-N workers, lb-N load balancers (then a VIP is reserved). `up` writes
// DIR/providers.yaml and `serve` DIR/sources.yaml: the spec's parts for them, indented for
// orbos:orbiter and its kubernetes section.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orbos/orbos/test/testenv"
)

// Inventory is what `up` prints.
type Inventory struct {
	Gateway  string    `json:"gateway"`
	Key      string    `json:"key"`
	Machines []Machine `json:"machines"`
}

// Machine is one machine of the inventory.
type Machine struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	HostKey string `json:"hostKey"`
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "sweep" {
		removed, err := testenv.SweepStale()
		for _, b := range removed {
			fmt.Printf("removed the test network %s, whose test process is gone, with its machines\n", b)
		}
		if err != nil {
			fail(err)
		}
		return
	}
	if len(os.Args) < 3 || (os.Args[1] != "up" && os.Args[1] != "down" && os.Args[1] != "serve") || (os.Args[1] == "up" && len(os.Args) < 4) {
		fmt.Fprintln(os.Stderr, "usage: machines up DIR NAME... | machines serve DIR | machines down DIR | machines sweep")
		os.Exit(2)
	}
	dir := os.Args[2]
	state := filepath.Join(dir, "network.json")
	if os.Args[1] == "serve" {
		if err := serve(dir); err != nil {
			fail(err)
		}
		return
	}
	if os.Args[1] == "down" {
		if b, err := os.ReadFile(filepath.Join(dir, "serve.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
				for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		n, err := testenv.LoadNetwork(state)
		if os.IsNotExist(err) {
			return
		}
		if err != nil {
			fail(err)
		}
		n.Destroy()
		if err := os.RemoveAll(dir); err != nil {
			fail(err)
		}
		return
	}
	if _, err := os.Stat(state); err == nil {
		fail(fmt.Errorf("%s exists: machines are up already (machines down %s first)", state, dir))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fail(err)
	}
	n, err := testenv.NewDetachedNetwork()
	if n != nil {
		defer func() { _ = n.Save(state) }()
	}
	if err != nil {
		fail(err)
	}
	inv := Inventory{Gateway: n.Gateway.String(), Key: filepath.Join(dir, "id_ed25519")}
	var key string
	for _, name := range os.Args[3:] {
		mdir := filepath.Join(dir, name)
		if err := os.MkdirAll(mdir, 0o700); err != nil {
			fail(err)
		}
		m, err := n.NewMachine(name, mdir, testenv.MachineOptions{ClientKey: key})
		if err != nil {
			_ = n.Save(state)
			fail(err)
		}
		key = m.ClientKey
		inv.Machines = append(inv.Machines, Machine{Name: m.Name, Address: m.Address, Port: m.Port, HostKey: m.HostKey})
	}
	if err := os.WriteFile(inv.Key, []byte(key), 0o600); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "providers.yaml"), []byte(providers(n, inv)), 0o600); err != nil {
		fail(err)
	}
	out, _ := json.MarshalIndent(inv, "", "  ")
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "machines:", err)
	os.Exit(1)
}
