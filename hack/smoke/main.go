// Command smoke is the workload of orbos's real-cluster tests and demo, in an image of its own:
//
//	smoke serve :8080   answers every request with the pod's hostname
//	smoke get URL       prints what URL answers; exits 1 when it cannot reach it
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "serve" && os.Args[1] != "get") {
		fmt.Fprintln(os.Stderr, "usage: smoke serve ADDRESS | smoke get URL")
		os.Exit(2)
	}
	if os.Args[1] == "serve" {
		name, _ := os.Hostname()
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, name) })
		srv := &http.Server{Addr: os.Args[2], ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintln(os.Stderr, srv.ListenAndServe())
		os.Exit(1)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "%s: %s\n", os.Args[2], resp.Status)
		os.Exit(1)
	}
	fmt.Print(string(b))
}
