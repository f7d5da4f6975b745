// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import "fmt"

// Tri is a flag the kernel may not report: Unknown, False or True.
type Tri int8

const (
	Unknown Tri = -1
	False   Tri = 0
	True    Tri = 1
)

func (t Tri) String() string {
	switch t {
	case False:
		return "false"
	case True:
		return "true"
	}
	return "unknown"
}

// Device is one device of a group, as the module reports it.
type Device struct {
	Name     string // dev_name(), e.g. "0000:01:00.0"
	Bus      string // "pci", ...; empty if not sent
	Driver   string // bound driver, empty when unbound
	Viable   bool   // false when this device alone makes the group not viable
	VFIO     bool   // registered with VFIO (derived from the driver's name for modules before 0.3)
	VFIODev  string // "vfioX" from Linux 6.1 while registered, else empty
	PCI      bool   // Vendor and DeviceID were sent
	Vendor   uint16
	DeviceID uint16
}

// Group is the state of one IOMMU group: a group-get reply, a dump entry,
// or the state right after an event.
type Group struct {
	ID      uint32
	Seq     uint64 // sequence number of the group's newest event
	Viable  bool
	Ready   bool // the module's group-ready (derived for modules before 0.3)
	InUse   Tri  // replies only, kernels from 5.19; Unknown in notifications
	Node    string
	Devices []Device
}

// Device returns the named device of g, or nil.
func (g *Group) Device(name string) *Device {
	if g == nil {
		return nil
	}
	for i := range g.Devices {
		if g.Devices[i].Name == name {
			return &g.Devices[i]
		}
	}
	return nil
}

func (g *Group) clone() *Group {
	if g == nil {
		return nil
	}
	c := *g
	c.Devices = append([]Device(nil), g.Devices...)
	return &c
}

// EventKind says what an Event is about.
type EventKind int

const (
	DeviceAdded      EventKind = eventDeviceAdded
	DeviceRemoved    EventKind = eventDeviceRemoved
	DriverBound      EventKind = eventDriverBound
	DriverUnbound    EventKind = eventDriverUnbound
	ViabilityChanged EventKind = eventViabilityChanged
	ReadyChanged     EventKind = eventReadyChanged

	// Notices: not events of the module.  Groups holds the state the
	// notice vouches for (filtered as the watch is).

	// Synced is the first event of a watch: the list, taken after the
	// watch subscribed.  Every later event is newer than it.
	Synced EventKind = 15
	// Resync follows the events synthesized after a loss: the cache is
	// current again.
	Resync EventKind = 16
	// Disconnected: the module went away; nothing arrives until
	// Reconnected.
	Disconnected EventKind = 17
	// Reconnected follows the events synthesized when the module came
	// back (or was found for the first time by a watch that waited).
	Reconnected EventKind = 18
	// Failed is the last event of a watch that ended on an error other
	// than its context's; Err says which.
	Failed EventKind = 19
)

var kindNames = map[EventKind]string{
	DeviceAdded: "device-added", DeviceRemoved: "device-removed",
	DriverBound: "driver-bound", DriverUnbound: "driver-unbound",
	ViabilityChanged: "viability-changed", ReadyChanged: "ready-changed",
	Synced: "synced", Resync: "resync", Disconnected: "disconnected",
	Reconnected: "reconnected", Failed: "failed",
}

func (k EventKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is a group event from the module, or one synthesized after a loss
// or a reconnection, or a notice (Synced, Resync, Disconnected,
// Reconnected, Failed).
type Event struct {
	Kind    EventKind
	GroupID uint32
	Seq     uint64
	TimeNS  uint64 // CLOCK_BOOTTIME of a kernel event; 0 if synthesized
	Device  string // the device the event is about, if any
	Driver  string // the driver bound or unbound (device-removed: the one still bound)
	// Group is the group's state right after the event; for a group that
	// is gone, a Group with no Devices.  Nil for notices.
	Group *Group
	// Synthesized: not sent by the module but derived by comparing the
	// state before a loss (or disconnection) with the state after it.
	Synthesized bool
	// Groups: for Synced, Resync and Reconnected, every group the watch
	// follows, by id.
	Groups []Group
	// Err: for Failed, why the watch ended.
	Err error
}

// Info is the module's global state (info-get).
type Info struct {
	Seq      uint64
	Dropped  uint64
	Notifier uint32
	Groups   uint32
	Version  string
	Events   Tri // whether notifications reach this network namespace
}

// Reason says what keeps a group, or a device, from being ready.
type Reason int

const (
	ReasonNone      Reason = 0
	ReasonNotViable Reason = 1 // Device is bound to (or probed by) host driver Driver
	ReasonNoVFIO    Reason = 2 // Device (or, group form, no device) is registered with VFIO
	ReasonInUse     Reason = 3 // another user holds the group
)

func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "ready"
	case ReasonNotViable:
		return "not-viable"
	case ReasonNoVFIO:
		return "no-vfio"
	case ReasonInUse:
		return "in-use"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Readiness answers "can a VMM open it now", and if not, what is in the way.
type Readiness struct {
	Ready   bool
	Reason  Reason
	GroupID uint32
	Node    string // "/dev/vfio/N" while a device of the group is registered with VFIO
	VFIODev string // device form: the device's vfioX, from 6.1
	Device  string // the device in the way (NotViable, NoVFIO)
	Driver  string // its driver (NotViable)
	InUse   Tri    // Unknown on kernels up to 5.18
}
