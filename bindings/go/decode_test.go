// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"errors"
	"math/rand"
	"reflect"
	"testing"
)

func sampleGroup() *fakeGroup {
	return &fakeGroup{id: 7, seq: 41, viable: true, ready: true, inUse: true, devs: []*fakeDev{
		{name: "0000:01:00.0", driver: "vfio-pci"},
		{name: "0000:01:00.1"},
	}}
}

func TestDecodeGroupEveryAttribute(t *testing.T) {
	g, err := DecodeGroup(encodeGroup(sampleGroup(), nil, true))
	if err != nil {
		t.Fatal(err)
	}
	want := &Group{ID: 7, Seq: 41, Viable: true, Ready: true, InUse: True, Node: "/dev/vfio/7",
		Devices: []Device{
			{Name: "0000:01:00.0", Bus: "pci", Driver: "vfio-pci", Viable: true, VFIO: true,
				VFIODev: "vfio0", PCI: true, Vendor: 0x8086, DeviceID: 0x100e},
			{Name: "0000:01:00.1", Bus: "pci", Viable: true, PCI: true, Vendor: 0x8086, DeviceID: 0x100e},
		}}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got  %+v\nwant %+v", g, want)
	}
}

func TestDecodeGroupOptionalAbsent(t *testing.T) {
	// A module older than 0.3 on a kernel before 5.19: no ready, no
	// in-use, no vfio flag (derived from the driver's name), no PCI ids.
	var dev []byte
	dev = appendString(dev, attrDevName, "platform-dev")
	dev = appendString(dev, attrDevDriver, "vfio-platform")
	dev = appendU8(dev, attrDevViable, 1)
	var b []byte
	b = appendU32(b, attrGroupID, 3)
	b = appendU8(b, attrGroupViable, 1)
	b = appendU64(b, attrGroupSeq, 0)
	b = appendAttr(b, attrGroupDevice, dev)
	g, err := DecodeGroup(b)
	if err != nil {
		t.Fatal(err)
	}
	d := g.Devices[0]
	if !d.VFIO || d.PCI || d.Bus != "" || g.InUse != Unknown || !g.Ready || g.Node != "/dev/vfio/3" {
		t.Fatalf("derived values wrong: %+v", g)
	}
}

func TestDecodeEventEveryAttribute(t *testing.T) {
	g := sampleGroup()
	b := encodeGroup(g, &fakeEvent{kind: eventDriverBound, seq: 42, dev: "0000:01:00.0", drv: "vfio-pci"}, false)
	ev, err := DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != DriverBound || ev.Seq != 42 || ev.TimeNS != 1042 || ev.Device != "0000:01:00.0" ||
		ev.Driver != "vfio-pci" || ev.GroupID != 7 || ev.Synthesized {
		t.Fatalf("event %+v", ev)
	}
	// The state is right after the event: seq at least the event's.
	if ev.Group.Seq != 42 || ev.Group.InUse != Unknown || len(ev.Group.Devices) != 2 {
		t.Fatalf("group %+v", ev.Group)
	}
	for k := eventDeviceAdded; k <= eventReadyChanged; k++ {
		ev, err := DecodeEvent(encodeGroup(g, &fakeEvent{kind: uint8(k), seq: 50}, false))
		if err != nil || int(ev.Kind) != k {
			t.Fatalf("kind %d: %v %v", k, ev.Kind, err)
		}
	}
	// A group that is gone: no device.
	ev, err = DecodeEvent(encodeGroup(&fakeGroup{id: 9, viable: true}, &fakeEvent{kind: eventDeviceRemoved, seq: 3, dev: "x"}, false))
	if err != nil || len(ev.Group.Devices) != 0 {
		t.Fatalf("empty group: %+v %v", ev, err)
	}
}

func TestDecodeInfoEveryAttribute(t *testing.T) {
	var b []byte
	b = appendAttr(b, attrInfoPad, nil)
	b = appendU64(b, attrInfoSeq, 99)
	b = appendU64(b, attrInfoDropped, 2)
	b = appendU32(b, attrInfoNotifier, NotifierIOMMUGroup)
	b = appendU32(b, attrInfoGroups, 12)
	b = appendString(b, attrInfoVersion, "0.3.0")
	b = appendU8(b, attrInfoEvents, 0)
	in, err := DecodeInfo(b)
	want := Info{Seq: 99, Dropped: 2, Notifier: NotifierIOMMUGroup, Groups: 12, Version: "0.3.0", Events: False}
	if err != nil || in != want {
		t.Fatalf("got %+v %v", in, err)
	}
	in, err = DecodeInfo(appendU64(nil, attrInfoSeq, 1))
	if err != nil || in.Events != Unknown {
		t.Fatalf("minimal info: %+v %v", in, err)
	}
}

func TestDecodeCtrl(t *testing.T) {
	m := ctrlMessage(ctrlCmdDelFamily, 0x1f)
	msgs, err := splitMessages(m)
	if err != nil || len(msgs) != 1 || msgs[0].Type != genlIDCtrl {
		t.Fatal(msgs, err)
	}
	n, err := decodeCtrl(msgs[0].Payload[0], msgs[0].Payload[genlHdrLen:])
	if err != nil || n != (ctrlNews{Cmd: ctrlCmdDelFamily, Name: FamilyName, ID: 0x1f}) {
		t.Fatal(n, err)
	}
}

func TestSplitMessages(t *testing.T) {
	a := nlMessage(0x20, cmdEventNtf, []byte{1, 2, 3}) // 23 bytes: padded in a datagram
	dg := append(append([]byte{}, a...), 0)
	dg = append(dg, a...)
	msgs, err := splitMessages(dg)
	if err != nil || len(msgs) != 2 || len(msgs[1].Payload) != genlHdrLen+3 {
		t.Fatal(msgs, err)
	}
	for _, bad := range [][]byte{
		a[:10],                             // shorter than a header
		append(a[:len(a):len(a)], 1, 2, 3), // junk after the last message
		func() []byte { b := append([]byte{}, a...); hostOrder().PutUint32(b, 8); return b }(),
		func() []byte { b := append([]byte{}, a...); hostOrder().PutUint32(b, 400); return b }(),
	} {
		if _, err := splitMessages(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("% x: err %v", bad, err)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	dev := func(mod func([]byte) []byte) []byte {
		var d []byte
		d = appendString(d, attrDevName, "0000:01:00.0")
		d = appendU8(d, attrDevViable, 1)
		return mod(d)
	}
	group := func(mod func([]byte) []byte) []byte {
		var b []byte
		b = appendU32(b, attrGroupID, 1)
		b = appendU8(b, attrGroupViable, 1)
		b = appendU64(b, attrGroupSeq, 1)
		return mod(b)
	}
	id := func(b []byte) []byte { return b }
	withDev := func(d []byte) []byte {
		return group(func(b []byte) []byte { return appendAttr(b, attrGroupDevice, d) })
	}
	cases := map[string][]byte{
		"no group-id":      appendU64(appendU8(nil, attrGroupViable, 1), attrGroupSeq, 1),
		"no viable":        appendU64(appendU32(nil, attrGroupID, 1), attrGroupSeq, 1),
		"no seq":           appendU8(appendU32(nil, attrGroupID, 1), attrGroupViable, 1),
		"id too short":     group(func(b []byte) []byte { return append(appendAttr(nil, attrGroupID, []byte{1, 0}), b[8:]...) }),
		"seq as u32":       append(appendU8(appendU32(nil, attrGroupID, 1), attrGroupViable, 1), appendU32(nil, attrGroupSeq, 1)...),
		"group-id twice":   group(func(b []byte) []byte { return appendU32(b, attrGroupID, 2) }),
		"ready 2":          group(func(b []byte) []byte { return appendU8(b, attrGroupReady, 2) }),
		"in-use 3":         group(func(b []byte) []byte { return appendU8(b, attrGroupInUse, 3) }),
		"event in reply":   group(func(b []byte) []byte { return appendAttr(b, attrGroupEvent, nil) }),
		"attr len 2":       group(func(b []byte) []byte { return append(b, 2, 0, 1, 0) }),
		"attr past end":    group(func(b []byte) []byte { return append(b, 40, 0, 1, 0, 0, 0) }),
		"trailing bytes":   group(func(b []byte) []byte { return append(b, 0, 0) }),
		"dev without name": withDev(appendU8(nil, attrDevViable, 1)),
		"dev no viable":    withDev(appendString(nil, attrDevName, "a")),
		"name no NUL":      withDev(dev(func(d []byte) []byte { return append(appendAttr(nil, attrDevName, []byte("abc")), d[8+4*1:]...) })),
		"name empty":       withDev(appendU8(appendAttr(nil, attrDevName, []byte{0}), attrDevViable, 1)),
		"name inner NUL":   withDev(appendU8(appendAttr(nil, attrDevName, []byte{'a', 0, 'b', 0}), attrDevViable, 1)),
		"name too long":    withDev(appendU8(appendString(nil, attrDevName, string(make([]byte, 64))+"x"), attrDevViable, 1)),
		"vendor only":      withDev(dev(func(d []byte) []byte { return appendU16(d, attrDevVendor, 1) })),
		"vendor as u32":    withDev(dev(func(d []byte) []byte { return appendU16(appendU32(d, attrDevVendor, 1), attrDevDevice, 1) })),
		"vfio 2":           withDev(dev(func(d []byte) []byte { return appendU8(d, attrDevVFIO, 2) })),
		"vfio-dev no vfio": withDev(dev(func(d []byte) []byte { return appendString(appendU8(d, attrDevVFIO, 0), attrDevVFIODev, "vfio0") })),
		"driver empty":     withDev(dev(func(d []byte) []byte { return appendAttr(d, attrDevDriver, []byte{0}) })),
		"bus twice":        withDev(dev(func(d []byte) []byte { return appendString(appendString(d, attrDevBus, "pci"), attrDevBus, "pci") })),
		"same device twice": group(func(b []byte) []byte {
			d := dev(id)
			return appendAttr(appendAttr(b, attrGroupDevice, d), attrGroupDevice, d)
		}),
	}
	for name, b := range cases {
		if name == "name too long" {
			// 64 NULs then x: inner NULs; make a plain long one too.
			long := make([]byte, 64)
			for i := range long {
				long[i] = 'a'
			}
			if _, err := DecodeGroup(withDev(appendU8(appendString(nil, attrDevName, string(long)), attrDevViable, 1))); !errors.Is(err, ErrMalformed) {
				t.Errorf("64-character name: err %v", err)
			}
		}
		if g, err := DecodeGroup(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: decoded %+v, err %v", name, g, err)
		}
	}

	ev := func(mod func([]byte) []byte) []byte {
		var e []byte
		e = appendU32(e, attrEventKind, eventDeviceAdded)
		e = appendU64(e, attrEventSeq, 5)
		return group(func(b []byte) []byte { return appendAttr(b, attrGroupEvent, mod(e)) })
	}
	if _, err := DecodeEvent(ev(id)); err != nil {
		t.Fatalf("minimal event: %v", err)
	}
	evCases := map[string][]byte{
		"no event nest": group(id),
		"kind 0":        ev(func(e []byte) []byte { return append(appendU32(nil, attrEventKind, 0), e[8:]...) }),
		"kind 7":        ev(func(e []byte) []byte { return append(appendU32(nil, attrEventKind, 7), e[8:]...) }),
		"no seq":        ev(func(e []byte) []byte { return e[:8] }),
		"time as u32":   ev(func(e []byte) []byte { return appendU32(e, attrEventTimeNS, 1) }),
		"dev no NUL":    ev(func(e []byte) []byte { return appendAttr(e, attrEventDevName, []byte("ab")) }),
		"driver empty":  ev(func(e []byte) []byte { return appendAttr(e, attrEventDriver, nil) }),
		"nest broken":   ev(func(e []byte) []byte { return append(e, 9, 0) }),
		"in-use in ntf": append(ev(id), appendU8(nil, attrGroupInUse, 0)...),
	}
	for name, b := range evCases {
		if e, err := DecodeEvent(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("event %s: decoded %+v, err %v", name, e, err)
		}
	}

	infoCases := map[string][]byte{
		"no seq":     appendU64(nil, attrInfoDropped, 1),
		"seq short":  appendU32(nil, attrInfoSeq, 1),
		"events 2":   appendU8(appendU64(nil, attrInfoSeq, 1), attrInfoEvents, 2),
		"version ''": appendAttr(appendU64(nil, attrInfoSeq, 1), attrInfoVersion, []byte{0}),
	}
	for name, b := range infoCases {
		if in, err := DecodeInfo(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("info %s: decoded %+v, err %v", name, in, err)
		}
	}
}

// A notification cut short is never taken for the whole one: a cut inside
// an attribute is refused, and a cut at an attribute boundary loses a
// device nest (the devices come last), so it cannot decode to the full
// state.  Either way no panic.
func TestDecodePrefixes(t *testing.T) {
	full := encodeGroup(sampleGroup(), &fakeEvent{kind: eventDriverBound, seq: 42, dev: "0000:01:00.0", drv: "vfio-pci"}, false)
	if _, err := DecodeEvent(full); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(full); n++ {
		ev, err := DecodeEvent(full[:n])
		if err == nil && len(ev.Group.Devices) == 2 {
			t.Errorf("prefix of %d/%d bytes decoded whole: %+v", n, len(full), ev)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("prefix %d: %v", n, err)
		}
	}
}

// Random corruption: never a panic, always ErrMalformed or a result.
func TestDecodeRandomCorruption(t *testing.T) {
	full := nlMessage(0x20, cmdEventNtf, encodeGroup(sampleGroup(), &fakeEvent{kind: eventDriverBound, seq: 42, dev: "0000:01:00.0", drv: "vfio-pci"}, false))
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		b := append([]byte{}, full...)
		for j := 0; j < 1+r.Intn(4); j++ {
			b[r.Intn(len(b))] = byte(r.Intn(256))
		}
		decodeAll(b)
	}
}

// decodeAll feeds bytes to every decoder; used by the fuzz target.
func decodeAll(b []byte) {
	msgs, _ := splitMessages(b)
	for _, m := range msgs {
		if len(m.Payload) >= genlHdrLen {
			p := m.Payload[genlHdrLen:]
			_, _ = DecodeEvent(p)
			_, _ = DecodeGroup(p)
			_, _ = DecodeInfo(p)
			_, _ = decodeCtrl(m.Payload[0], p)
		}
	}
	_, _ = DecodeEvent(b)
	_, _ = DecodeGroup(b)
}

func FuzzDecode(f *testing.F) {
	f.Add(nlMessage(0x20, cmdEventNtf, encodeGroup(sampleGroup(), &fakeEvent{kind: eventDriverBound, seq: 42, dev: "0000:01:00.0", drv: "vfio-pci"}, false)))
	f.Add(nlMessage(0x20, cmdGroupGet, encodeGroup(sampleGroup(), nil, true)))
	f.Add(ctrlMessage(ctrlCmdNewFamily, 0x20))
	f.Add(nlMessage(0x20, cmdInfoGet, appendU64(nil, attrInfoSeq, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeAll(b)
		// A decoded event is self-consistent.
		msgs, _ := splitMessages(b)
		for _, m := range msgs {
			if len(m.Payload) < genlHdrLen {
				continue
			}
			if ev, err := DecodeEvent(m.Payload[genlHdrLen:]); err == nil {
				if ev.Group == nil || ev.Group.ID != ev.GroupID || ev.Group.Seq < ev.Seq ||
					ev.Kind < DeviceAdded || ev.Kind > ReadyChanged {
					t.Fatalf("inconsistent event %+v", ev)
				}
			}
		}
	})
}
