// SPDX-License-Identifier: LGPL-2.1-or-later

// Command device-plugin shows how a Kubernetes device plugin would use the
// vfiogroup package: it turns a list of PCI addresses into the Healthy /
// Unhealthy updates that a plugin's ListAndWatch streams to the kubelet,
// from each device's readiness for VFIO (its IOMMU group viable, the
// device registered with VFIO, nobody else holding the group).  It speaks
// no kubelet API: each update is a line on standard output,
//
//	0000:01:00.0 Healthy
//	0000:01:00.0 Unhealthy not-viable (0000:01:00.1 bound to e1000)
//
// one per device at the start, then one whenever a device's health
// changes (Healthy to Unhealthy or back: a plugin reports the health
// only, so a new reason alone is not a change).  It exits 0 on SIGINT or SIGTERM, 1 on an error.
//
//	device-plugin [--wait-module] BDF...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	vfiogroup "vfiogroup/bindings/go"
)

func main() {
	waitModule := flag.Bool("wait-module", false, "start even when the vfiogroup module is not loaded yet")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: device-plugin [--wait-module] BDF...")
		flag.PrintDefaults()
	}
	flag.Parse()
	devices := flag.Args()
	if len(devices) == 0 {
		flag.Usage()
		os.Exit(2)
	}

	// ListAndWatch runs until the kubelet goes away; here, until a signal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	c := vfiogroup.New()
	var opts []vfiogroup.WatchOption
	if *waitModule {
		opts = append(opts, vfiogroup.WaitModule())
	}
	// Watch first, then ask: a change made after the answers below is
	// an event on this channel (list-then-watch).  The filter follows
	// the devices across groups (a device removed and rescanned may come
	// back in another one).
	events, err := c.Watch(ctx, vfiogroup.Filter{Devices: devices}, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "device-plugin:", err)
		os.Exit(1)
	}

	// The health last sent for each device: only changes are sent again,
	// as a plugin sends a new ListAndWatchResponse only when a device's
	// Health changed.  The reason is for the log (a plugin would log it).
	healthy := map[string]bool{}
	sent := map[string]bool{}
	send := func(dev, health string) {
		h := health == "Healthy"
		if !sent[dev] || healthy[dev] != h {
			sent[dev], healthy[dev] = true, h
			// Unbuffered: each line reaches the reader at once.
			fmt.Printf("%s %s\n", dev, health)
		}
	}
	update := func() {
		for _, dev := range devices {
			send(dev, health(ctx, c, dev))
		}
	}

	update()
	for ev := range events {
		switch ev.Kind {
		case vfiogroup.Disconnected:
			// The module went away: nothing can be vouched for.
			for _, dev := range devices {
				send(dev, "Unhealthy no-module")
			}
		case vfiogroup.Failed:
			fmt.Fprintln(os.Stderr, "device-plugin:", ev.Err)
			os.Exit(1)
		default:
			// An event of a device's group, or a resync or a
			// reconnection: ask again.  Readiness always asks the
			// kernel, so "in use" (which no event announces) is
			// current too.
			update()
		}
	}
	// The channel closes when ctx ends: a signal.
	if ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "device-plugin: the watch ended")
		os.Exit(1)
	}
}

// health is a device's state in the device plugin's terms, with the
// reason it is not usable.
func health(ctx context.Context, c *vfiogroup.Client, dev string) string {
	r, err := c.DeviceReadiness(ctx, dev)
	switch {
	case errors.Is(err, vfiogroup.ErrNotFound):
		return "Unhealthy absent (in no IOMMU group)"
	case errors.Is(err, vfiogroup.ErrNoModule):
		return "Unhealthy no-module"
	case err != nil:
		return fmt.Sprintf("Unhealthy unknown (%v)", err)
	case r.Ready:
		return "Healthy"
	}
	switch r.Reason {
	case vfiogroup.ReasonNotViable:
		return fmt.Sprintf("Unhealthy %s (%s bound to %s)", r.Reason, r.Device, r.Driver)
	case vfiogroup.ReasonNoVFIO:
		return fmt.Sprintf("Unhealthy %s (%s not registered with VFIO)", r.Reason, r.Device)
	}
	return fmt.Sprintf("Unhealthy %s (group %d)", r.Reason, r.GroupID)
}
