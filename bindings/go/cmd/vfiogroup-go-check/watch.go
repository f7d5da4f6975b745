// SPDX-License-Identifier: LGPL-2.1-or-later

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	vfiogroup "vfiogroup/bindings/go"
)

// watcher consumes one watch: it keeps its own cache of the groups (from
// the notices' lists and each event's Group) and checks that the sequence
// numbers of the module's events grow by exactly one.
type watcher struct {
	ch      <-chan vfiogroup.Event
	cache   map[uint32]*vfiogroup.Group
	lastSeq uint64 // 0: no baseline (before a notice, while disconnected)
	nseq    int    // events whose seq was checked
	seqErr  string // the first sequence error
	failed  error  // a Failed event's
	closed  bool
}

func newWatcher(ch <-chan vfiogroup.Event) *watcher {
	return &watcher{ch: ch, cache: map[uint32]*vfiogroup.Group{}}
}

// next returns the next event, or false when none came by the deadline or
// the channel closed.
func (w *watcher) next(until time.Time) (vfiogroup.Event, bool) {
	if w.closed {
		return vfiogroup.Event{}, false
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case ev, ok := <-w.ch:
		if !ok {
			w.closed = true
			return ev, false
		}
		w.apply(ev)
		return ev, true
	case <-t.C:
		return vfiogroup.Event{}, false
	}
}

// nextNotice reads until a notice of one of the kinds, and returns it.
func (w *watcher) nextNotice(until time.Time, kinds ...vfiogroup.EventKind) (vfiogroup.Event, bool) {
	for {
		ev, ok := w.next(until)
		if !ok {
			return ev, false
		}
		for _, k := range kinds {
			if ev.Kind == k {
				return ev, true
			}
		}
		diag("  %s", describe(ev))
	}
}

func (w *watcher) apply(ev vfiogroup.Event) {
	switch ev.Kind {
	case vfiogroup.Synced, vfiogroup.Resync, vfiogroup.Reconnected:
		w.cache = map[uint32]*vfiogroup.Group{}
		for i := range ev.Groups {
			g := ev.Groups[i]
			w.cache[g.ID] = &g
		}
		w.lastSeq = ev.Seq
	case vfiogroup.Disconnected:
		w.lastSeq = 0
	case vfiogroup.Failed:
		w.failed = ev.Err
	default:
		if ev.Group == nil {
			return
		}
		if len(ev.Group.Devices) == 0 {
			delete(w.cache, ev.GroupID)
		} else {
			w.cache[ev.GroupID] = ev.Group
		}
		if ev.Synthesized {
			return
		}
		if w.lastSeq != 0 && ev.Seq != w.lastSeq+1 && w.seqErr == "" {
			w.seqErr = fmt.Sprintf("%s seq %d after %d", ev.Kind, ev.Seq, w.lastSeq)
		}
		w.lastSeq = ev.Seq
		w.nseq++
	}
}

func describe(ev vfiogroup.Event) string {
	switch ev.Kind {
	case vfiogroup.Synced, vfiogroup.Resync, vfiogroup.Reconnected:
		return fmt.Sprintf("%s seq %d, %d groups", ev.Kind, ev.Seq, len(ev.Groups))
	case vfiogroup.Disconnected:
		return ev.Kind.String()
	case vfiogroup.Failed:
		return fmt.Sprintf("failed: %v", ev.Err)
	}
	s := fmt.Sprintf("%s seq %d group %d dev %s driver %q", ev.Kind, ev.Seq, ev.GroupID, ev.Device, ev.Driver)
	if ev.Group != nil {
		s += fmt.Sprintf(" -> [%s] viable=%v ready=%v", pkgDevs(ev.Group), ev.Group.Viable, ev.Group.Ready)
	}
	if ev.Synthesized {
		s += " (synthesized)"
	}
	return s
}

func findDev(sys map[uint32]*sysGroup, dev string) (uint32, string, bool) {
	for id, g := range sys {
		if drv, ok := g.devices[dev]; ok {
			return id, drv, true
		}
	}
	return 0, "", false
}

// step makes one change to dev, waits for its events, and checks each of
// them and the cache against sysfs: one ok or not ok line.
func (w *watcher) step(name, dev string, act func() error) {
	before, err := walk()
	if err != nil {
		result(false, "%s: sysfs: %v", name, err)
		return
	}
	oldGID, drvB, wasThere := findDev(before, dev)
	if err := act(); err != nil {
		result(false, "%s: %v", name, err)
		return
	}
	mid, err := walk()
	if err != nil {
		result(false, "%s: sysfs: %v", name, err)
		return
	}
	newGID, drvA, isThere := findDev(mid, dev)

	// The events the change must bring, from sysfs and the rule.
	want := map[vfiogroup.EventKind]int{}
	switch {
	case wasThere && isThere:
		if drvB != drvA && drvB != "" {
			want[vfiogroup.DriverUnbound]++
		}
		if drvB != drvA && drvA != "" {
			want[vfiogroup.DriverBound]++
		}
	case wasThere:
		want[vfiogroup.DeviceRemoved]++
	case isThere:
		want[vfiogroup.DeviceAdded]++
		if drvA != "" {
			want[vfiogroup.DriverBound]++
		}
	}
	groups := map[uint32]bool{}
	if wasThere {
		groups[oldGID] = true
	}
	if isThere {
		groups[newGID] = true
	}
	for id := range groups {
		b, a := before[id], mid[id]
		if b == nil || a == nil {
			continue
		}
		if b.viable != a.viable {
			want[vfiogroup.ViabilityChanged]++
		}
		if b.ready != a.ready {
			want[vfiogroup.ReadyChanged]++
		}
	}

	// Wait for them, then for a quiet half second (late changes).
	var evs []vfiogroup.Event
	var prev []*vfiogroup.Group // the cached group before each event
	got := map[vfiogroup.EventKind]int{}
	end := time.Now().Add(deadline)
	quiet := time.Time{}
	for {
		until := end
		if !quiet.IsZero() {
			until = quiet
		}
		old := w.cache
		snapshot := map[uint32]*vfiogroup.Group{}
		for k, v := range old {
			snapshot[k] = v
		}
		ev, ok := w.next(until)
		if !ok {
			break
		}
		evs = append(evs, ev)
		prev = append(prev, snapshot[ev.GroupID])
		got[ev.Kind]++
		all := true
		for k, n := range want {
			if got[k] < n {
				all = false
			}
		}
		if all {
			quiet = time.Now().Add(500 * time.Millisecond)
		}
	}
	after, err := walk()
	if err != nil {
		result(false, "%s: sysfs: %v", name, err)
		return
	}
	var kinds []string
	for _, ev := range evs {
		diag("  %s", describe(ev))
		kinds = append(kinds, ev.Kind.String())
	}
	problem := ""
	bad := func(format string, args ...interface{}) {
		if problem == "" {
			problem = fmt.Sprintf(format, args...)
		}
	}
	for k, n := range want {
		if got[k] < n {
			bad("no %s (wanted %d, got %d)", k, n, got[k])
		}
	}
	last := map[uint32]int{}
	for i, ev := range evs {
		g := ev.Group
		switch {
		case g == nil:
			bad("unexpected notice %s", describe(ev))
			continue
		case ev.Synthesized:
			bad("synthesized event %s", describe(ev))
		case !groups[ev.GroupID]:
			bad("event of another group: %s", describe(ev))
		case g.ID != ev.GroupID:
			bad("event group %d carries group %d", ev.GroupID, g.ID)
		}
		last[ev.GroupID] = i
		d := g.Device(dev)
		switch ev.Kind {
		case vfiogroup.DriverBound:
			if ev.Device != dev || ev.Driver != drvA || ev.GroupID != newGID || d == nil || d.Driver != drvA {
				bad("driver-bound should be %s on %s in group %d: %s", dev, drvA, newGID, describe(ev))
			}
		case vfiogroup.DriverUnbound:
			if ev.Device != dev || ev.Driver != drvB || ev.GroupID != oldGID || d == nil || d.Driver != "" {
				bad("driver-unbound should be %s from %s in group %d: %s", dev, drvB, oldGID, describe(ev))
			}
		case vfiogroup.DeviceRemoved:
			if ev.Device != dev || ev.GroupID != oldGID || d != nil {
				bad("device-removed should be %s from group %d: %s", dev, oldGID, describe(ev))
			}
		case vfiogroup.DeviceAdded:
			if ev.Device != dev || ev.GroupID != newGID || d == nil {
				bad("device-added should be %s to group %d: %s", dev, newGID, describe(ev))
			}
		case vfiogroup.ViabilityChanged:
			if p := prev[i]; p != nil && p.Viable == g.Viable {
				bad("viability-changed that changes nothing: %s", describe(ev))
			}
		case vfiogroup.ReadyChanged:
			if p := prev[i]; p != nil && p.Ready == g.Ready {
				bad("ready-changed that changes nothing: %s", describe(ev))
			}
		}
		// Viability and readiness change only with their own events:
		// any other event carries the values from before it.
		if p := prev[i]; p != nil && len(g.Devices) > 0 &&
			ev.Kind != vfiogroup.ViabilityChanged && ev.Kind != vfiogroup.ReadyChanged &&
			(p.Viable != g.Viable || p.Ready != g.Ready) {
			bad("%s changes viable %v->%v ready %v->%v", ev.Kind, p.Viable, g.Viable, p.Ready, g.Ready)
		}
		// The other devices of the group do not move.
		if s := after[ev.GroupID]; s != nil {
			for _, od := range g.Devices {
				if od.Name == dev {
					continue
				}
				if drv, ok := s.devices[od.Name]; !ok || drv != od.Driver {
					bad("%s: device %s driver %q, sysfs %q", ev.Kind, od.Name, od.Driver, drv)
				}
			}
		}
	}
	// The state after a group's last event is sysfs's once the step is
	// done.
	for id, i := range last {
		g, s := evs[i].Group, after[id]
		if g == nil {
			continue
		}
		if s == nil {
			if len(g.Devices) != 0 {
				bad("group %d gone from sysfs, last event says [%s]", id, pkgDevs(g))
			}
			continue
		}
		if d := diffGroup(g, s); d != "" {
			bad("state after the last event: %s", d)
		}
	}
	if d := diffAll(w.cache, after); d != "" {
		bad("cache != sysfs: %s", d)
	}
	if w.failed != nil {
		bad("watch failed: %v", w.failed)
	}
	if problem != "" {
		result(false, "%s: %s (events: %s)", name, problem, strings.Join(kinds, ","))
		return
	}
	result(true, "%s: %s; state and cache == sysfs", name, strings.Join(kinds, ","))
}

func (w *watcher) seqResult(what string) {
	if w.seqErr != "" {
		result(false, "%s: seqs of %d events: %s", what, w.nseq, w.seqErr)
		return
	}
	result(w.nseq > 0, "%s: seqs of %d events grow by one", what, w.nseq)
}

// origDriver returns dev's driver, which it must have.
func origDriver(dev string) (string, bool) {
	drv := driverOf(filepath.Join(pciDevices, dev))
	if drv == "" {
		result(false, "%s is bound to a driver at the start", dev)
		return "", false
	}
	return drv, true
}

// start makes an unfiltered watch and reads its Synced notice.
func start(ctx context.Context, what string, opts ...vfiogroup.WatchOption) *watcher {
	c := vfiogroup.New()
	ch, err := c.Watch(ctx, vfiogroup.Filter{}, opts...)
	if err != nil {
		result(false, "%s: watch: %v", what, err)
		return nil
	}
	w := newWatcher(ch)
	ev, ok := w.next(time.Now().Add(deadline))
	if !ok || ev.Kind != vfiogroup.Synced {
		result(false, "%s: first event Synced (got %s, %v)", what, describe(ev), ok)
		return nil
	}
	return w
}

func checkEvents(dev string, vfio bool) {
	drv, ok := origDriver(dev)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := start(ctx, "events")
	if w == nil {
		return
	}
	if sys, err := walk(); err != nil || diffAll(w.cache, sys) != "" {
		result(false, "events: Synced list == sysfs (%v %s)", err, diffAll(w.cache, sys))
	}
	w.step("events: unbind "+dev+" from "+drv, dev, func() error { return unbind(dev) })
	if vfio {
		w.step("events: bind "+dev+" to vfio-pci", dev, func() error { return bind(dev, "vfio-pci") })
		w.step("events: unbind "+dev+" from vfio-pci", dev, func() error { return unbind(dev) })
	}
	w.step("events: bind "+dev+" to "+drv, dev, func() error { return bind(dev, drv) })
	w.step("events: remove "+dev, dev, func() error { return remove(dev) })
	w.step("events: rescan ("+dev+" back)", dev, func() error { return rescan(dev) })
	if now := driverOf(filepath.Join(pciDevices, dev)); now != drv {
		diag("after the rescan %s is on %q, not %s: binding it back", dev, now, drv)
		w.step("events: bind "+dev+" to "+drv+" after the rescan", dev, func() error {
			if err := unbind(dev); err != nil {
				return err
			}
			return bind(dev, drv)
		})
	}
	w.seqResult("events")
}
