// SPDX-License-Identifier: LGPL-2.1-or-later

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	vfiogroup "vfiogroup/bindings/go"
)

const (
	pciDevices = "/sys/bus/pci/devices"
	iommuDir   = "/sys/kernel/iommu_groups"
)

// sysGroup is a group as sysfs shows it, with the bench's rule applied.
type sysGroup struct {
	id      uint32
	devices map[string]string // name -> driver ("" when unbound)
	vfio    map[string]bool   // registered with VFIO
	viable  bool
	ready   bool
}

// vfioDevNames: from 6.1 VFIO adds a vfio-dev/vfioX child to the devices
// it registers; before, a driver with "vfio" in its name says it.
var vfioDevNames = func() bool {
	var u [3]int
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	for i, f := range strings.SplitN(strings.TrimSpace(string(b)), ".", 3) {
		n := 0
		for _, c := range f {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		u[i] = n
	}
	return u[0] > 6 || (u[0] == 6 && u[1] >= 1)
}()

func driverOf(devPath string) string {
	l, err := os.Readlink(filepath.Join(devPath, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(l)
}

func devVFIO(devPath, driver string) bool {
	if vfioDevNames {
		m, _ := filepath.Glob(filepath.Join(devPath, "vfio-dev", "vfio*"))
		return len(m) > 0
	}
	return strings.Contains(driver, "vfio")
}

// managed: a device on this driver leaves its group viable.
func managed(driver string) bool {
	switch driver {
	case "", "vfio-pci", "pci-stub", "pcieport":
		return true
	}
	return false
}

// walk reads every group from sysfs.
func walk() (map[uint32]*sysGroup, error) {
	ents, err := os.ReadDir(iommuDir)
	if err != nil {
		return nil, err
	}
	out := map[uint32]*sysGroup{}
	for _, e := range ents {
		id, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		devs, err := os.ReadDir(filepath.Join(iommuDir, e.Name(), "devices"))
		if err != nil {
			continue // the group went away meanwhile
		}
		g := &sysGroup{id: uint32(id), devices: map[string]string{}, vfio: map[string]bool{}, viable: true}
		anyVFIO := false
		for _, d := range devs {
			p := filepath.Join(iommuDir, e.Name(), "devices", d.Name())
			drv := driverOf(p)
			g.devices[d.Name()] = drv
			g.vfio[d.Name()] = devVFIO(p, drv)
			anyVFIO = anyVFIO || g.vfio[d.Name()]
			if !managed(drv) {
				g.viable = false
			}
		}
		if len(g.devices) == 0 {
			continue
		}
		g.ready = g.viable && anyVFIO
		out[g.id] = g
	}
	return out, nil
}

func groupOf(bdf string) (uint32, error) {
	l, err := os.Readlink(filepath.Join(pciDevices, bdf, "iommu_group"))
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseUint(filepath.Base(l), 10, 32)
	return uint32(id), err
}

func ids[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Each of these returns "" when the package's group agrees with sysfs,
// else what differs.

func diffDevices(g *vfiogroup.Group, s *sysGroup) string {
	if len(g.Devices) != len(s.devices) {
		return fmt.Sprintf("group %d: %d devices, sysfs %d (%s vs %s)", g.ID, len(g.Devices), len(s.devices), pkgDevs(g), sysDevs(s))
	}
	for _, d := range g.Devices {
		drv, ok := s.devices[d.Name]
		if !ok {
			return fmt.Sprintf("group %d: device %s not in sysfs", g.ID, d.Name)
		}
		if drv != d.Driver {
			return fmt.Sprintf("group %d: device %s driver %q, sysfs %q", g.ID, d.Name, d.Driver, drv)
		}
	}
	return ""
}

func diffFlags(g *vfiogroup.Group, s *sysGroup) string {
	if g.Viable != s.viable {
		return fmt.Sprintf("group %d: viable %v, rule %v (%s)", g.ID, g.Viable, s.viable, sysDevs(s))
	}
	if g.Ready != s.ready {
		return fmt.Sprintf("group %d: ready %v, rule %v (%s)", g.ID, g.Ready, s.ready, sysDevs(s))
	}
	for _, d := range g.Devices {
		if v, ok := s.vfio[d.Name]; ok && v != d.VFIO {
			return fmt.Sprintf("group %d: device %s vfio %v, sysfs %v", g.ID, d.Name, d.VFIO, v)
		}
	}
	return ""
}

func diffGroup(g *vfiogroup.Group, s *sysGroup) string {
	if d := diffDevices(g, s); d != "" {
		return d
	}
	return diffFlags(g, s)
}

// diffAll compares a list of groups with a sysfs walk.
func diffAll(gs map[uint32]*vfiogroup.Group, sys map[uint32]*sysGroup) string {
	for _, id := range ids(sys) {
		g, ok := gs[id]
		if !ok {
			return fmt.Sprintf("group %d (%s) missing", id, sysDevs(sys[id]))
		}
		if d := diffGroup(g, sys[id]); d != "" {
			return d
		}
	}
	for _, id := range ids(gs) {
		if _, ok := sys[id]; !ok {
			return fmt.Sprintf("group %d (%s) not in sysfs", id, pkgDevs(gs[id]))
		}
	}
	return ""
}

func sysDevs(s *sysGroup) string {
	var parts []string
	for n, d := range s.devices {
		if d == "" {
			d = "-"
		}
		parts = append(parts, n+"="+d)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func pkgDevs(g *vfiogroup.Group) string {
	var parts []string
	for _, d := range g.Devices {
		drv := d.Driver
		if drv == "" {
			drv = "-"
		}
		parts = append(parts, d.Name+"="+drv)
	}
	return strings.Join(parts, " ")
}

func write(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if e := f.Close(); err == nil {
		err = e
	}
	return err
}

func unbind(bdf string) error {
	if driverOf(filepath.Join(pciDevices, bdf)) == "" {
		return nil
	}
	return write(filepath.Join(pciDevices, bdf, "driver", "unbind"), bdf)
}

// bind: driver_override, drivers_probe, override cleared (bind_dev).
func bind(bdf, driver string) error {
	if err := write(filepath.Join(pciDevices, bdf, "driver_override"), driver); err != nil {
		return err
	}
	perr := write("/sys/bus/pci/drivers_probe", bdf)
	if err := write(filepath.Join(pciDevices, bdf, "driver_override"), "\n"); err != nil {
		return err
	}
	if got := driverOf(filepath.Join(pciDevices, bdf)); got != driver {
		return fmt.Errorf("bind %s to %s: bound to %q (%v)", bdf, driver, got, perr)
	}
	return nil
}

func remove(bdf string) error {
	return write(filepath.Join(pciDevices, bdf, "remove"), "1")
}

// rescan brings removed devices back, and waits (bounded) for bdf.
func rescan(bdf string) error {
	if err := write("/sys/bus/pci/rescan", "1"); err != nil {
		return err
	}
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		if _, err := groupOf(bdf); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("rescan: " + bdf + " did not come back")
}
