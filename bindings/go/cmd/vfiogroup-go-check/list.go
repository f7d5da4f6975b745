// SPDX-License-Identifier: LGPL-2.1-or-later

package main

import (
	"context"
	"fmt"

	vfiogroup "vfiogroup/bindings/go"
)

// checkList: Client.Groups against a sysfs walk, one line per property.
func checkList() {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	list, err := vfiogroup.New().Groups(ctx)
	if err != nil {
		result(false, "list: Groups: %v", err)
		return
	}
	sys, err := walk()
	if err != nil {
		result(false, "list: sysfs: %v", err)
		return
	}
	gs := map[uint32]*vfiogroup.Group{}
	for i := range list {
		gs[list[i].ID] = &list[i]
	}
	// The same ids.
	idsDiff := ""
	for _, id := range ids(sys) {
		if gs[id] == nil && idsDiff == "" {
			idsDiff = fmt.Sprintf("group %d (%s) missing", id, sysDevs(sys[id]))
		}
	}
	for _, id := range ids(gs) {
		if sys[id] == nil && idsDiff == "" {
			idsDiff = fmt.Sprintf("group %d (%s) not in sysfs", id, pkgDevs(gs[id]))
		}
	}
	result(idsDiff == "" && len(gs) > 0, "list: %d groups == sysfs %d%s", len(gs), len(sys), suffix(idsDiff))

	check := func(what string, f func(*vfiogroup.Group, *sysGroup) string) {
		first, n := "", 0
		for _, id := range ids(sys) {
			g := gs[id]
			if g == nil {
				continue
			}
			if d := f(g, sys[id]); d != "" {
				n++
				if first == "" {
					first = d
				}
			}
		}
		result(first == "", "list: %s of every group == sysfs%s", what, suffix(first))
		if n > 1 {
			diag("list: %s: %d groups differ", what, n)
		}
	}
	check("devices and drivers", diffDevices)
	check("viable", func(g *vfiogroup.Group, s *sysGroup) string {
		if g.Viable != s.viable {
			return fmt.Sprintf("group %d: viable %v, rule %v (%s)", g.ID, g.Viable, s.viable, sysDevs(s))
		}
		return ""
	})
	check("ready", func(g *vfiogroup.Group, s *sysGroup) string {
		if g.Ready != s.ready {
			return fmt.Sprintf("group %d: ready %v, rule %v (%s)", g.ID, g.Ready, s.ready, sysDevs(s))
		}
		return ""
	})
	check("devices' vfio", func(g *vfiogroup.Group, s *sysGroup) string {
		for _, d := range g.Devices {
			if v, ok := s.vfio[d.Name]; ok && v != d.VFIO {
				return fmt.Sprintf("group %d: device %s vfio %v, sysfs %v", g.ID, d.Name, d.VFIO, v)
			}
		}
		return ""
	})
	nready := 0
	for _, g := range gs {
		if g.Ready {
			nready++
		}
	}
	diag("list: %d groups, %d ready", len(gs), nready)
}

func suffix(d string) string {
	if d == "" {
		return ""
	}
	return " (first mismatch: " + d + ")"
}
