// etcd, built from go.etcd.io/etcd/server/v3 at the version k8s.io/kubernetes requires of its etcd
// client, so the apiserver under test talks to the etcd it was released against.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
