package sshexec_test

import (
	"context"
	"testing"

	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/test/testenv"
)

// BenchmarkRoundTrip is one command on an open connection (a new SSH session each time).
func BenchmarkRoundTrip(b *testing.B) {
	h := testenv.StartHost(b, "bench", testenv.HostOptions{Address: "127.0.0.31"})
	c, err := sshexec.Dial(context.Background(), target(h), sshexec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Run(context.Background(), "true"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDialAndRun is a connection (key exchange, authentication) plus one command.
func BenchmarkDialAndRun(b *testing.B) {
	h := testenv.StartHost(b, "bench", testenv.HostOptions{Address: "127.0.0.32"})
	b.ResetTimer()
	for range b.N {
		c, err := sshexec.Dial(context.Background(), target(h), sshexec.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Run(context.Background(), "true"); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
