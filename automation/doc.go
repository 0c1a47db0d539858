// Package automation runs ORB operations on the Pulumi Automation API over a Git-backed workspace:
// it clones the ORB repository, takes the ORB lock, runs preview/up/refresh/destroy with Pulumi's file
// backend inside the checkout, turns engine events into progress, and always commits and pushes the
// state and status/<orb>.yaml afterwards, failed and interrupted runs included.
package automation
