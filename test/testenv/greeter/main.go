// Command greeter is the server of the test chart that stands in for Envoy Gateway on real clusters
// (test/e2e/testdata/charts/gateway-standin), in an image built here (testenv.BuildGreeterImage):
//
//	greeter serve :8080   answers every request with "$GREETING from $POD_NAME ($CHART)"
//
// The chart sets GREETING from its values and CHART from its own name and version, so an answer
// shows that the chart's server answered and that the spec's value reached it.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: greeter serve ADDRESS")
		os.Exit(2)
	}
	answer := fmt.Sprintf("%s from %s (%s)\n", os.Getenv("GREETING"), os.Getenv("POD_NAME"), os.Getenv("CHART"))
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, answer) })
	srv := &http.Server{Addr: os.Args[2], ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(os.Stderr, srv.ListenAndServe())
	os.Exit(1)
}
