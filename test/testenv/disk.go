package testenv

import (
	"fmt"
	"syscall"
)

// RealClusterDiskFree is the free space a real cluster's machines need on the disk that holds their
// directories: their kubelets, containerd's images and etcd share this machine's disk, and a kubelet
// taints its node with disk-pressure once that disk runs under its eviction threshold, after which
// nothing is scheduled and a test only times out.
const RealClusterDiskFree = 8 << 30

// CheckDiskFree fails with the figures when the filesystem holding dir has less than min bytes free,
// so that a full disk is named as the cause before machines start rather than found in a pod's events.
func CheckDiskFree(dir string, min uint64) error {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return fmt.Errorf("reading the free space under %s: %w", dir, err)
	}
	free, size := s.Bavail*uint64(s.Bsize), s.Blocks*uint64(s.Bsize)
	if free >= min {
		return nil
	}
	return fmt.Errorf("the disk holding %s has %.1f GiB free of %.1f GiB; a real cluster's machines need %.1f GiB "+
		"(their kubelets mark the node with disk-pressure and schedule nothing under it): free some space, "+
		"e.g. with go clean -cache", dir, gib(free), gib(size), gib(min))
}

func gib(b uint64) float64 { return float64(b) / (1 << 30) }
