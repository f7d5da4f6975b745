// SPDX-License-Identifier: LGPL-2.1-or-later

// Command vfiogroup-go-check tests the Go package against the real module,
// inside the VM bench's guest (root, busybox, the module loaded, e1000s,
// some alone in their IOMMU group).  sysfs is the ground truth: the program
// walks /sys/kernel/iommu_groups itself and applies the bench's rule of
// viability and readiness (tests/vm/guest/helpers-sysfs.sh).
//
// Output, parsed by the bench's TAP helper: one line per check, "ok - go
// DESC" or "not ok - go DESC", diagnostics as "# text".  Exit 0 when every
// check passed, 1 when one failed, 2 on a usage error.  Every wait has a
// deadline.
//
//	vfiogroup-go-check list
//	vfiogroup-go-check events --dev BDF [--vfio]
//	vfiogroup-go-check overflow --dev BDF [--toggles N]
//	vfiogroup-go-check reload --module PATH.ko --dev BDF
//	vfiogroup-go-check record --dev BDF
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// deadline bounds every wait for events.
const deadline = 20 * time.Second

var failed bool

func result(ok bool, format string, args ...interface{}) {
	prefix := "ok - go "
	if !ok {
		prefix = "not ok - go "
		failed = true
	}
	fmt.Printf(prefix+format+"\n", args...)
}

func diag(format string, args ...interface{}) {
	fmt.Printf("# "+format+"\n", args...)
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: vfiogroup-go-check list
       vfiogroup-go-check events --dev BDF [--vfio]
       vfiogroup-go-check overflow --dev BDF [--toggles N]
       vfiogroup-go-check reload --module PATH.ko --dev BDF
       vfiogroup-go-check record --dev BDF
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ContinueOnError)
	dev := fs.String("dev", "", "PCI address of the device to move")
	vfio := fs.Bool("vfio", false, "also bind the device to vfio-pci and back")
	toggles := fs.Int("toggles", 100, "unbind/bind toggles during the stall")
	module := fs.String("module", "", "path of vfiogroup.ko, for insmod")
	if err := fs.Parse(os.Args[2:]); err != nil || fs.NArg() != 0 {
		usage()
	}
	switch os.Args[1] {
	case "list":
		checkList()
	case "events":
		if *dev == "" {
			usage()
		}
		checkEvents(*dev, *vfio)
	case "overflow":
		if *dev == "" || *toggles < 1 {
			usage()
		}
		checkOverflow(*dev, *toggles)
	case "reload":
		if *dev == "" || *module == "" {
			usage()
		}
		checkReload(*module, *dev)
	case "record":
		if *dev == "" {
			usage()
		}
		recordAll(*dev)
	default:
		usage()
	}
	if failed {
		os.Exit(1)
	}
}
