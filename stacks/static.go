package stacks

import (
	"fmt"

	"github.com/orbos/orbos/internal/valid"
)

// validateStatic checks the static provider's machines. Every value here reaches the machines: IDs
// become node and host names in kubeadm, keepalived and haproxy configurations, addresses go into
// them, the interface carries keepalived's VIPs, the user and host key open the SSH session.
func validateStatic(st *Static, path string, e *errs) {
	ids, addrs := map[string]string{}, map[string]string{}
	for _, name := range SortedKeys(st.Pools) {
		pp := join(path+".pools", name)
		e.check(pp, name, prefixed("pool name: ", valid.Name(name)))
		for i, m := range st.Pools[name] {
			mp := fmt.Sprintf("%s[%d]", pp, i)
			if m.ID != "" {
				e.check(mp+".id", m.ID, valid.Name(m.ID))
			}
			if prev, ok := ids[m.ID]; ok && m.ID != "" {
				e.add(mp+".id", nil, "%s is also the ID of %s", quoteShort(m.ID), prev)
			}
			ids[m.ID] = mp
			if reasons := valid.IP(m.Address); m.Address != "" && len(reasons) > 0 {
				e.check(mp+".address", m.Address, reasons)
			} else if prev, ok := addrs[m.Address]; ok && m.Address != "" {
				e.add(mp+".address", nil, "%s is also the address of %s", m.Address, prev)
			}
			addrs[m.Address] = mp
			e.check(mp+".sshUser", m.SSHUser, valid.UserName(m.SSHUser))
			if m.SSHPort < 1 || m.SSHPort > 65535 {
				e.add(mp+".sshPort", nil, "%d is not a port", m.SSHPort)
			}
			if m.HostKey != "" {
				e.check(mp+".hostKey", m.HostKey, valid.HostKey(m.HostKey))
			}
			for j, ifname := range m.Interfaces {
				e.check(fmt.Sprintf("%s.interfaces[%d]", mp, j), ifname, valid.InterfaceName(ifname))
			}
		}
	}
}

// maxRequest bounds a node request's value: orbctl writes a time stamp.
const maxRequest = 64

// validateNodeRequests checks the requests for single machines: each names a listed static machine,
// and its values (compared run to run, shown in status) are short and printable.
func validateNodeRequests(o *Orbiter, path string, e *errs) {
	if len(o.Nodes) == 0 {
		return
	}
	if o.Providers == nil || o.Providers.Static == nil {
		e.add(path, nil, "node requests act on static machines that orbos made nodes of")
		return
	}
	known := map[string]bool{}
	for _, ms := range o.Providers.Static.Pools {
		for _, m := range ms {
			known[m.ID] = true
		}
	}
	for _, id := range SortedKeys(o.Nodes) {
		np := join(path, id)
		if !known[id] {
			e.add(np, nil, "names machine %s, which no static pool lists: remove the request with the machine", quoteShort(id))
		}
		r := o.Nodes[id]
		for _, f := range []struct{ name, value string }{{"reboot", r.Reboot}, {"replace", r.Replace}} {
			reasons := valid.Printable(f.value, false)
			if len(f.value) > maxRequest {
				reasons = append(reasons, fmt.Sprintf("must be at most %d characters", maxRequest))
			}
			e.check(np+"."+f.name, f.value, reasons)
		}
	}
}
