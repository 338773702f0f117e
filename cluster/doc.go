// Package cluster runs IPFI across many servers: servers join a
// membership (hashicorp/memberlist) and advertise their IPFI address and
// tags; resolvers find a service's members (memberlist, a static list,
// DNS, or the program's own); and a Client spreads calls over the members,
// fails over, retries what may be retried and finds new servers as they
// join.
//
// The module is separate from github.com/ipfi-go/ipfi so that memberlist
// stays out of the core's import graph.
package cluster
