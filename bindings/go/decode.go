// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// ErrMalformed is wrapped by every decoding error: bytes that are not what
// the module is documented to send.  The decoder never panics and never
// reads past the input, whatever it is given (FuzzDecode).
var ErrMalformed = errors.New("vfiogroup: malformed message")

func malformed(format string, a ...interface{}) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// Netlink is in host byte order; Go has no binary.NativeEndian before 1.21.
var nativeEndian binary.ByteOrder = binary.LittleEndian

func init() {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 0 {
		nativeEndian = binary.BigEndian
	}
}

func hostOrder() binary.ByteOrder { return nativeEndian }

// nlMsg is one netlink message of a datagram.
type nlMsg struct {
	Type    uint16
	Flags   uint16
	Seq     uint32
	PID     uint32
	Payload []byte // after the netlink header
}

// splitMessages cuts a datagram into its netlink messages.
func splitMessages(b []byte) ([]nlMsg, error) {
	var out []nlMsg
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return out, malformed("%d bytes after the last message", len(b))
		}
		l := hostOrder().Uint32(b[0:4])
		if l < nlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return out, malformed("message length %d, %d bytes left", l, len(b))
		}
		out = append(out, nlMsg{
			Type:    hostOrder().Uint16(b[4:6]),
			Flags:   hostOrder().Uint16(b[6:8]),
			Seq:     hostOrder().Uint32(b[8:12]),
			PID:     hostOrder().Uint32(b[12:16]),
			Payload: b[nlmsgHdrLen:l],
		})
		step := (int(l) + 3) &^ 3
		if step >= len(b) {
			break
		}
		b = b[step:]
	}
	return out, nil
}

type attr struct {
	Type uint16 // flags masked off
	Data []byte
}

// parseAttrs splits a run of attributes.  Every length is checked; the
// last attribute may lack its padding.
func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		if len(b) < nlaHdrLen {
			return nil, malformed("%d bytes after the last attribute", len(b))
		}
		l := int(hostOrder().Uint16(b[0:2]))
		if l < nlaHdrLen || l > len(b) {
			return nil, malformed("attribute length %d, %d bytes left", l, len(b))
		}
		out = append(out, attr{Type: hostOrder().Uint16(b[2:4]) & nlaTypeMask, Data: b[nlaHdrLen:l]})
		step := (l + 3) &^ 3
		if step >= len(b) {
			break
		}
		b = b[step:]
	}
	return out, nil
}

// attrTable indexes attributes by type; a type seen twice is malformed
// unless it is pad (the set's padding type, 0 for none; pads are skipped)
// or listed in multi (kept in order there).
type attrTable struct {
	one   map[uint16][]byte
	multi map[uint16][][]byte
}

func table(b []byte, pad uint16, multi ...uint16) (attrTable, error) {
	as, err := parseAttrs(b)
	if err != nil {
		return attrTable{}, err
	}
	t := attrTable{one: map[uint16][]byte{}, multi: map[uint16][][]byte{}}
	for _, a := range as {
		if pad != 0 && a.Type == pad {
			continue
		}
		isMulti := false
		for _, m := range multi {
			if a.Type == m {
				isMulti = true
			}
		}
		if isMulti {
			t.multi[a.Type] = append(t.multi[a.Type], a.Data)
			continue
		}
		if _, dup := t.one[a.Type]; dup {
			return attrTable{}, malformed("attribute %d twice", a.Type)
		}
		t.one[a.Type] = a.Data
	}
	return t, nil
}

func (t attrTable) has(typ uint16) bool { _, ok := t.one[typ]; return ok }

func (t attrTable) u8(typ uint16, what string) (uint8, error) {
	d, ok := t.one[typ]
	if !ok || len(d) != 1 {
		return 0, malformed("%s: want a u8 (%d bytes, present %v)", what, len(d), ok)
	}
	return d[0], nil
}

func (t attrTable) flag(typ uint16, what string) (bool, error) {
	v, err := t.u8(typ, what)
	if err == nil && v > 1 {
		err = malformed("%s: %d is not a flag", what, v)
	}
	return v == 1, err
}

func (t attrTable) u16(typ uint16, what string) (uint16, error) {
	d, ok := t.one[typ]
	if !ok || len(d) != 2 {
		return 0, malformed("%s: want a u16", what)
	}
	return hostOrder().Uint16(d), nil
}

func (t attrTable) u32(typ uint16, what string) (uint32, error) {
	d, ok := t.one[typ]
	if !ok || len(d) != 4 {
		return 0, malformed("%s: want a u32", what)
	}
	return hostOrder().Uint32(d), nil
}

func (t attrTable) u64(typ uint16, what string) (uint64, error) {
	d, ok := t.one[typ]
	if !ok || len(d) != 8 {
		return 0, malformed("%s: want a u64", what)
	}
	return hostOrder().Uint64(d), nil
}

// str: a NUL-terminated string, not empty, with no NUL before its end,
// shorter than NameMax with its NUL.
func (t attrTable) str(typ uint16, what string) (string, error) {
	d, ok := t.one[typ]
	if !ok {
		return "", malformed("%s: missing", what)
	}
	return nlString(d, what)
}

func nlString(d []byte, what string) (string, error) {
	if len(d) < 2 || d[len(d)-1] != 0 || bytes.IndexByte(d, 0) != len(d)-1 {
		return "", malformed("%s: not a NUL-terminated, non-empty string", what)
	}
	if len(d) > NameMax {
		return "", malformed("%s: %d bytes, longer than %d", what, len(d), NameMax)
	}
	return string(d[:len(d)-1]), nil
}

func decodeDevice(b []byte) (Device, error) {
	var d Device
	t, err := table(b, 0)
	if err != nil {
		return d, err
	}
	if d.Name, err = t.str(attrDevName, "dev-name"); err != nil {
		return d, err
	}
	v, err := t.u8(attrDevViable, "dev-viable")
	if err != nil {
		return d, err
	}
	d.Viable = v != 0
	if t.has(attrDevBus) {
		if d.Bus, err = t.str(attrDevBus, "dev-bus"); err != nil {
			return d, err
		}
	}
	if t.has(attrDevDriver) {
		if d.Driver, err = t.str(attrDevDriver, "dev-driver"); err != nil {
			return d, err
		}
	}
	if t.has(attrDevVendor) || t.has(attrDevDevice) {
		if d.Vendor, err = t.u16(attrDevVendor, "dev-vendor"); err != nil {
			return d, err
		}
		if d.DeviceID, err = t.u16(attrDevDevice, "dev-device"); err != nil {
			return d, err
		}
		d.PCI = true
	}
	if t.has(attrDevVFIO) {
		if d.VFIO, err = t.flag(attrDevVFIO, "dev-vfio"); err != nil {
			return d, err
		}
	} else {
		// A module older than 0.3 does not say: VFIO's drivers are named so.
		d.VFIO = strings.Contains(d.Driver, "vfio")
	}
	if t.has(attrDevVFIODev) {
		if !d.VFIO {
			return d, malformed("dev-vfio-dev on a device not registered with VFIO")
		}
		if d.VFIODev, err = t.str(attrDevVFIODev, "dev-vfio-dev"); err != nil {
			return d, err
		}
	}
	return d, nil
}

// decodeGroupAttrs decodes the group layout shared by replies, dump entries
// and notifications.
func decodeGroupAttrs(t attrTable) (*Group, error) {
	g := &Group{InUse: Unknown}
	var err error
	if g.ID, err = t.u32(attrGroupID, "group-id"); err != nil {
		return nil, err
	}
	v, err := t.u8(attrGroupViable, "group-viable")
	if err != nil {
		return nil, err
	}
	g.Viable = v != 0
	if g.Seq, err = t.u64(attrGroupSeq, "group-seq"); err != nil {
		return nil, err
	}
	for _, nest := range t.multi[attrGroupDevice] {
		d, err := decodeDevice(nest)
		if err != nil {
			return nil, err
		}
		// Names identify devices in diffs: they must be unique.
		if g.Device(d.Name) != nil {
			return nil, malformed("device %q twice in group %d", d.Name, g.ID)
		}
		g.Devices = append(g.Devices, d)
		if d.VFIO && g.Node == "" {
			g.Node = fmt.Sprintf("/dev/vfio/%d", g.ID)
		}
	}
	if t.has(attrGroupReady) {
		if g.Ready, err = t.flag(attrGroupReady, "group-ready"); err != nil {
			return nil, err
		}
	} else {
		g.Ready = g.Viable && g.Node != ""
	}
	if t.has(attrGroupInUse) {
		u, err := t.flag(attrGroupInUse, "group-in-use")
		if err != nil {
			return nil, err
		}
		g.InUse = False
		if u {
			g.InUse = True
		}
	}
	return g, nil
}

// DecodeGroup decodes the attributes (after the genetlink header) of a
// group-get reply or dump entry.
func DecodeGroup(b []byte) (*Group, error) {
	t, err := table(b, attrPad, attrGroupDevice)
	if err != nil {
		return nil, err
	}
	if t.has(attrGroupEvent) {
		return nil, malformed("group-event in a reply")
	}
	return decodeGroupAttrs(t)
}

// DecodeEvent decodes the attributes (after the genetlink header) of an
// event-ntf notification: the event and the group's state right after it.
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	t, err := table(b, attrPad, attrGroupDevice)
	if err != nil {
		return ev, err
	}
	nest, ok := t.one[attrGroupEvent]
	if !ok {
		return ev, malformed("notification without group-event")
	}
	et, err := table(nest, attrEventPad)
	if err != nil {
		return ev, err
	}
	k, err := et.u32(attrEventKind, "event-kind")
	if err != nil {
		return ev, err
	}
	if k < eventDeviceAdded || k > eventReadyChanged {
		return ev, malformed("event kind %d", k)
	}
	ev.Kind = EventKind(k)
	if ev.Seq, err = et.u64(attrEventSeq, "event-seq"); err != nil {
		return ev, err
	}
	if et.has(attrEventTimeNS) {
		if ev.TimeNS, err = et.u64(attrEventTimeNS, "event-time-ns"); err != nil {
			return ev, err
		}
	}
	if et.has(attrEventDevName) {
		if ev.Device, err = et.str(attrEventDevName, "event-dev-name"); err != nil {
			return ev, err
		}
	}
	if et.has(attrEventDriver) {
		if ev.Driver, err = et.str(attrEventDriver, "event-driver"); err != nil {
			return ev, err
		}
	}
	g, err := decodeGroupAttrs(t)
	if err != nil {
		return ev, err
	}
	if t.has(attrGroupInUse) {
		return ev, malformed("group-in-use in a notification")
	}
	// The state is "right after the event": the group's newest event is
	// this one at least, and the cache compares against it.
	if g.Seq < ev.Seq {
		g.Seq = ev.Seq
	}
	ev.GroupID = g.ID
	ev.Group = g
	return ev, nil
}

// DecodeInfo decodes the attributes of an info-get reply.
func DecodeInfo(b []byte) (Info, error) {
	var in Info
	t, err := table(b, attrInfoPad)
	if err != nil {
		return in, err
	}
	if in.Seq, err = t.u64(attrInfoSeq, "info-seq"); err != nil {
		return in, err
	}
	in.Events = Unknown // a module older than info-events
	if t.has(attrInfoEvents) {
		e, err := t.flag(attrInfoEvents, "info-events")
		if err != nil {
			return in, err
		}
		in.Events = False
		if e {
			in.Events = True
		}
	}
	if t.has(attrInfoDropped) {
		if in.Dropped, err = t.u64(attrInfoDropped, "info-dropped"); err != nil {
			return in, err
		}
	}
	if t.has(attrInfoNotifier) {
		if in.Notifier, err = t.u32(attrInfoNotifier, "info-notifier"); err != nil {
			return in, err
		}
	}
	if t.has(attrInfoGroups) {
		if in.Groups, err = t.u32(attrInfoGroups, "info-groups"); err != nil {
			return in, err
		}
	}
	if t.has(attrInfoVersion) {
		if in.Version, err = t.str(attrInfoVersion, "info-version"); err != nil {
			return in, err
		}
	}
	return in, nil
}

// ctrlNews is nlctrl's NEWFAMILY or DELFAMILY.
type ctrlNews struct {
	Cmd  uint8
	Name string
	ID   uint16
}

func decodeCtrl(cmd uint8, b []byte) (ctrlNews, error) {
	n := ctrlNews{Cmd: cmd}
	t, err := table(b, 0, ctrlAttrOps, ctrlAttrMcastGroups) // nested lists we skip
	if err != nil {
		return n, err
	}
	if n.Name, err = t.str(ctrlAttrFamilyNam, "family name"); err != nil {
		return n, err
	}
	if n.ID, err = t.u16(ctrlAttrFamilyID, "family id"); err != nil {
		return n, err
	}
	return n, nil
}

const (
	ctrlAttrOps         = 6
	ctrlAttrMcastGroups = 7
)
