// Package automation runs ORB operations on the Pulumi Automation API over a Git-backed workspace:
// it loads and validates the desired state, runs preview/up/refresh/destroy with Pulumi's file backend
// inside the checkout, turns engine events into progress, and records every run that changed
// something (state and status/<orb>.yaml) as one commit, failed and interrupted runs included.
//
// Every run that changes the ORB goes through the transaction of package txn (lock, fetch, recover,
// run, publish atomically with the lock, release or keep the lock marked); package recovery repairs
// what an interrupted run left of the file backend; package record holds the status file, the commit
// trailers and the history read back from them.
package automation
