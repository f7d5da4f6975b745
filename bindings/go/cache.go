// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import "sort"

// entry is one group of the cache; g nil is a group known to be absent
// since seq (a tombstone), so that its older events cannot bring it back.
type entry struct {
	g   *Group
	seq uint64
}

type cache map[uint32]entry

// ids returns the cache's ids in order, tombstones included.
func (c cache) ids() []uint32 {
	ids := make([]uint32, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// list returns copies of the groups f lets through, by id.
func (c cache) list(f *Filter) []Group {
	var out []Group
	for _, id := range c.ids() {
		if g := c[id].g; g != nil && f.wantsGroup(g) {
			out = append(out, *g.clone())
		}
	}
	return out
}

// findDevice returns the group that holds the named device.
func (c cache) findDevice(name string) *Group {
	for _, id := range c.ids() {
		if g := c[id].g; g != nil && g.Device(name) != nil {
			return g
		}
	}
	return nil
}

// diff turns the differences between two caches into the events that
// would have made them, group by group in id order.
func diff(old, new cache) []Event {
	seen := map[uint32]bool{}
	var ids []uint32
	for _, c := range []cache{old, new} {
		for id := range c {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []Event
	for _, id := range ids {
		out = append(out, groupDiff(old[id].g, new[id].g, id)...)
	}
	return out
}

// groupDiff: old or new may be nil (the group appeared, or vanished).  The
// order is the kernel's: unbind before removal, addition before bind,
// viability and then readiness last.  Every event carries the new state
// (an empty group when it is gone), the intermediate ones never having
// been seen.
func groupDiff(old, new *Group, id uint32) []Event {
	if old == nil && new == nil {
		return nil
	}
	state := new
	if state == nil {
		state = &Group{ID: id, Seq: old.Seq, Viable: old.Viable, InUse: Unknown}
	}
	var out []Event
	emit := func(k EventKind, dev, drv string) {
		out = append(out, Event{Kind: k, GroupID: id, Seq: state.Seq,
			Device: dev, Driver: drv, Group: state, Synthesized: true})
	}
	if old != nil {
		for _, o := range old.Devices {
			n := new.Device(o.Name)
			if o.Driver != "" && (n == nil || n.Driver != o.Driver) {
				emit(DriverUnbound, o.Name, o.Driver)
			}
			if n == nil {
				emit(DeviceRemoved, o.Name, "")
			}
		}
	}
	if new != nil {
		for _, n := range new.Devices {
			o := old.Device(n.Name)
			if o == nil {
				emit(DeviceAdded, n.Name, "")
			}
			if n.Driver != "" && (o == nil || o.Driver != n.Driver) {
				emit(DriverBound, n.Name, n.Driver)
			}
		}
	}
	// A group that appears or vanishes has no viability "change"; an
	// empty group is not ready, so one that appears or vanishes ready had
	// its readiness change.
	if old != nil && new != nil && old.Viable != new.Viable {
		emit(ViabilityChanged, "", "")
	}
	if (old != nil && old.Ready) != (new != nil && new.Ready) {
		emit(ReadyChanged, "", "")
	}
	return out
}
