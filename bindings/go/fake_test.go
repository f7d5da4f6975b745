// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A fake kernel: keeps group state like the module, numbers events the same
// way, and sends real netlink bytes to fake sockets that congest as
// netlink's do (ENOBUFS once, then silent drops until a read finds the
// queue empty; socket errors before queued datagrams).

const nlaFNested = 0x8000

type fakeDev struct {
	name, driver string
}

func (d *fakeDev) vfio() bool   { return strings.Contains(d.driver, "vfio") }
func (d *fakeDev) viable() bool { return d.driver == "" || d.vfio() }

type fakeGroup struct {
	id     uint32
	seq    uint64
	devs   []*fakeDev
	viable bool // as announced: changes only with viability-changed
	ready  bool // as announced: changes only with ready-changed
	inUse  bool
}

func (g *fakeGroup) realViable() bool {
	for _, d := range g.devs {
		if !d.viable() {
			return false
		}
	}
	return true
}

func (g *fakeGroup) realReady() bool {
	if !g.realViable() {
		return false
	}
	for _, d := range g.devs {
		if d.vfio() {
			return true
		}
	}
	return false
}

type fakeKernel struct {
	mu       sync.Mutex
	loaded   bool
	famID    uint16
	evGrp    uint32
	seq      uint64
	dropped  uint64
	noEvents bool
	groups   map[uint32]*fakeGroup
	socks    []*fakeTransport
	qcap     int // queue capacity of new sockets
	// before is called, unlocked, before a request is answered; after,
	// once it has been.
	before, after func(cmd uint8, dump bool)
}

func newFakeKernel() *fakeKernel {
	return &fakeKernel{loaded: true, famID: 0x20, evGrp: 7, groups: map[uint32]*fakeGroup{}, qcap: 1024}
}

func (k *fakeKernel) dial() (Transport, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := &fakeTransport{k: k, cap: k.qcap, signal: make(chan struct{}, 1)}
	k.socks = append(k.socks, t)
	return t, nil
}

func (k *fakeKernel) client() *Client { return NewClient(k.dial) }

// --- message building ---

func nlMessage(typ uint16, cmd uint8, attrs []byte) []byte {
	b := make([]byte, nlmsgHdrLen+genlHdrLen, nlmsgHdrLen+genlHdrLen+len(attrs))
	hostOrder().PutUint32(b[0:4], uint32(len(b)+len(attrs)))
	hostOrder().PutUint16(b[4:6], typ)
	b[16] = cmd
	b[17] = FamilyVersion
	return append(b, attrs...)
}

func encodeDevice(d *fakeDev) []byte {
	var b []byte
	b = appendString(b, attrDevName, d.name)
	b = appendString(b, attrDevBus, "pci")
	if d.driver != "" {
		b = appendString(b, attrDevDriver, d.driver)
	}
	b = appendU8(b, attrDevViable, b2u(d.viable()))
	b = appendU16(b, attrDevVendor, 0x8086)
	b = appendU16(b, attrDevDevice, 0x100e)
	b = appendU8(b, attrDevVFIO, b2u(d.vfio()))
	if d.vfio() {
		b = appendString(b, attrDevVFIODev, "vfio"+d.name[len(d.name)-1:])
	}
	return b
}

func b2u(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

type fakeEvent struct {
	kind     uint8
	seq      uint64
	dev, drv string
}

// encodeGroup: the module's fill function: group-id first, the event right
// after it, a pad before the u64 as on 32-bit-aligned arches.
func encodeGroup(g *fakeGroup, ev *fakeEvent, reply bool) []byte {
	var b []byte
	b = appendU32(b, attrGroupID, g.id)
	if ev != nil {
		var e []byte
		e = appendU32(e, attrEventKind, uint32(ev.kind))
		e = appendAttr(e, attrEventPad, nil)
		e = appendU64(e, attrEventSeq, ev.seq)
		e = appendU64(e, attrEventTimeNS, 1000+ev.seq)
		if ev.dev != "" {
			e = appendString(e, attrEventDevName, ev.dev)
		}
		if ev.drv != "" {
			e = appendString(e, attrEventDriver, ev.drv)
		}
		b = appendAttr(b, attrGroupEvent|nlaFNested, e)
	}
	b = appendU8(b, attrGroupViable, b2u(g.viable))
	b = appendAttr(b, attrPad, nil)
	b = appendU64(b, attrGroupSeq, g.seq)
	b = appendU8(b, attrGroupReady, b2u(g.ready))
	if reply {
		b = appendU8(b, attrGroupInUse, b2u(g.inUse))
	}
	for _, d := range g.devs {
		b = appendAttr(b, attrGroupDevice|nlaFNested, encodeDevice(d))
	}
	return b
}

func ctrlMessage(cmd uint8, id uint16) []byte {
	var b []byte
	b = appendU16(b, ctrlAttrFamilyID, id)
	b = appendString(b, ctrlAttrFamilyNam, FamilyName)
	b = appendU32(b, 3, 1) // CTRL_ATTR_VERSION
	return nlMessage(genlIDCtrl, cmd, b)
}

// --- state changes, each sent as the module sends them ---

// event numbers one event of g and multicasts it; the caller has changed
// g's devices.  Viability and readiness follow, each with its own event.
func (k *fakeKernel) event(g *fakeGroup, kind uint8, dev, drv string) {
	k.seq++
	g.seq = k.seq
	k.multicast(nlMessage(k.famID, cmdEventNtf, encodeGroup(g, &fakeEvent{kind, k.seq, dev, drv}, false)))
	if v := g.realViable(); v != g.viable && len(g.devs) > 0 {
		g.viable = v
		k.seq++
		g.seq = k.seq
		k.multicast(nlMessage(k.famID, cmdEventNtf, encodeGroup(g, &fakeEvent{eventViabilityChanged, k.seq, "", ""}, false)))
	}
	if r := g.realReady(); r != g.ready {
		g.ready = r
		k.seq++
		g.seq = k.seq
		k.multicast(nlMessage(k.famID, cmdEventNtf, encodeGroup(g, &fakeEvent{eventReadyChanged, k.seq, "", ""}, false)))
	}
}

func (k *fakeKernel) find(name string) (*fakeGroup, int) {
	for _, g := range k.groups {
		for i, d := range g.devs {
			if d.name == name {
				return g, i
			}
		}
	}
	return nil, -1
}

func (k *fakeKernel) add(id uint32, name, driver string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g := k.groups[id]
	if g == nil {
		g = &fakeGroup{id: id, viable: true}
		k.groups[id] = g
	}
	g.devs = append(g.devs, &fakeDev{name: name})
	if k.loaded {
		k.event(g, eventDeviceAdded, name, "")
	}
	if driver != "" {
		g.devs[len(g.devs)-1].driver = driver
		if k.loaded {
			k.event(g, eventDriverBound, name, driver)
		}
	}
	if !k.loaded {
		g.viable, g.ready = g.realViable(), g.realReady()
	}
}

func (k *fakeKernel) remove(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g, i := k.find(name)
	drv := g.devs[i].driver
	g.devs = append(g.devs[:i], g.devs[i+1:]...)
	if k.loaded {
		k.event(g, eventDeviceRemoved, name, drv)
	}
	if len(g.devs) == 0 {
		delete(k.groups, g.id)
	} else if !k.loaded {
		g.viable, g.ready = g.realViable(), g.realReady()
	}
}

func (k *fakeKernel) bind(name, driver string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g, i := k.find(name)
	g.devs[i].driver = driver
	if k.loaded {
		k.event(g, eventDriverBound, name, driver)
	} else {
		g.viable, g.ready = g.realViable(), g.realReady()
	}
}

func (k *fakeKernel) unbind(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	g, i := k.find(name)
	drv := g.devs[i].driver
	g.devs[i].driver = ""
	if k.loaded {
		k.event(g, eventDriverUnbound, name, drv)
	} else {
		g.viable, g.ready = g.realViable(), g.realReady()
	}
}

func (k *fakeKernel) setInUse(id uint32, v bool) {
	k.mu.Lock()
	k.groups[id].inUse = v
	k.mu.Unlock()
}

// lose: the module fails to send an event: a gap, and ENOBUFS on every
// subscriber (netlink_set_err()), unless quiet.
func (k *fakeKernel) lose(quiet bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seq++
	k.dropped++
	if quiet {
		return
	}
	for _, t := range k.socks {
		if t.evGrp == k.evGrp && t.evGrp != 0 && t.err == nil {
			t.err = ErrLost
			t.wake()
		}
	}
}

// send multicasts raw bytes on the events group (malformed notifications).
func (k *fakeKernel) send(b []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.multicast(b)
}

func (k *fakeKernel) unload() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, t := range k.socks {
		if t.evGrp == k.evGrp && t.evGrp != 0 {
			t.err = ErrShutdown
			t.evGrp = 0 // memberships dropped with the family
			t.wake()
		}
	}
	k.loaded = false
	k.ctrl(ctrlMessage(ctrlCmdDelFamily, k.famID))
}

// load registers the family again: new ids, sequence numbers from scratch.
func (k *fakeKernel) load(id uint16, grp uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loaded, k.famID, k.evGrp, k.seq = true, id, grp, 0
	for _, g := range k.groups {
		g.seq = 0
	}
	k.ctrl(ctrlMessage(ctrlCmdNewFamily, id))
}

func (k *fakeKernel) multicast(b []byte) {
	for _, t := range k.socks {
		if t.evGrp != 0 && t.evGrp == k.evGrp {
			t.deliver(b)
		}
	}
}

func (k *fakeKernel) ctrl(b []byte) {
	for _, t := range k.socks {
		if t.ctrl {
			t.deliver(b)
		}
	}
}

// --- the fake sockets ---

type fakeTransport struct {
	k         *fakeKernel
	evGrp     uint32 // joined events group
	ctrl      bool
	queue     [][]byte
	cap       int
	congested bool
	err       error // pending socket error, returned before the queue
	signal    chan struct{}
	blocked   bool
	closed    bool
	foreign   int // datagrams "from another process" to return first
}

// deliver: netlink_broadcast_deliver(); k.mu held.
func (t *fakeTransport) deliver(b []byte) {
	if t.closed || t.congested {
		return
	}
	if len(t.queue) >= t.cap {
		t.congested = true
		if t.err == nil {
			t.err = ErrLost
		}
		t.wake()
		return
	}
	t.queue = append(t.queue, b)
	t.wake()
}

func (t *fakeTransport) wake() {
	select {
	case t.signal <- struct{}{}:
	default:
	}
}

func (t *fakeTransport) WatchControl() error {
	t.k.mu.Lock()
	t.ctrl = true
	t.k.mu.Unlock()
	return nil
}

func (t *fakeTransport) Resolve(ctx context.Context) (Family, error) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if !t.k.loaded {
		return Family{}, ErrNoModule
	}
	return Family{ID: t.k.famID, Version: FamilyVersion, EventsGroup: t.k.evGrp}, nil
}

func (t *fakeTransport) Join(leave, join uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if !t.k.loaded || join != t.k.evGrp {
		return syscall.ENOENT
	}
	t.evGrp = join
	return nil
}

func (t *fakeTransport) Recv(ctx context.Context, block bool) ([]byte, error) {
	for {
		t.k.mu.Lock()
		if t.foreign > 0 {
			t.foreign--
			t.k.mu.Unlock()
			return nil, ErrForeign
		}
		var b []byte
		err := t.err
		t.err = nil
		if err == nil && len(t.queue) > 0 {
			b = t.queue[0]
			t.queue = t.queue[1:]
		}
		// netlink_rcv_wake(): congestion ends with a read that leaves
		// the queue empty, whatever it returned.
		if len(t.queue) == 0 {
			t.congested = false
		}
		if err == nil && b == nil && !block {
			err = ErrAgain
		}
		t.blocked = err == nil && b == nil
		t.k.mu.Unlock()
		if err != nil || b != nil {
			return b, err
		}
		select {
		case <-t.signal:
		case <-ctx.Done():
			t.k.mu.Lock()
			t.blocked = false
			t.k.mu.Unlock()
			return nil, ctx.Err()
		}
	}
}

func (t *fakeTransport) Request(ctx context.Context, fam Family, cmd uint8, dump bool, attrs []byte) ([]Reply, error) {
	if t.k.before != nil {
		t.k.before(cmd, dump)
	}
	rs, err := t.answer(fam, cmd, dump, attrs)
	if t.k.after != nil {
		t.k.after(cmd, dump)
	}
	return rs, err
}

func (t *fakeTransport) answer(fam Family, cmd uint8, dump bool, attrs []byte) ([]Reply, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.loaded || fam.ID != k.famID {
		return nil, syscall.ENOENT
	}
	switch {
	case cmd == cmdInfoGet:
		var b []byte
		b = appendU64(b, attrInfoSeq, k.seq)
		b = appendU64(b, attrInfoDropped, k.dropped)
		b = appendU32(b, attrInfoNotifier, NotifierBus)
		b = appendU32(b, attrInfoGroups, uint32(len(k.groups)))
		b = appendString(b, attrInfoVersion, "fake")
		b = appendU8(b, attrInfoEvents, b2u(!k.noEvents))
		return []Reply{{Cmd: cmdInfoGet, Attrs: b}}, nil
	case cmd == cmdGroupGet && dump:
		var out []Reply
		for id := uint32(0); id < 1024; id++ {
			if g := k.groups[id]; g != nil {
				out = append(out, Reply{Cmd: cmdGroupGet, Attrs: encodeGroup(g, nil, true)})
			}
		}
		return out, nil
	case cmd == cmdGroupGet:
		tb, err := table(attrs, 0)
		if err != nil {
			return nil, syscall.EINVAL
		}
		var g *fakeGroup
		if id, err := tb.u32(attrGroupID, ""); err == nil {
			g = k.groups[id]
		} else if name, err := tb.str(attrGroupDevName, ""); err == nil {
			g, _ = k.find(name)
		} else {
			return nil, syscall.EINVAL
		}
		if g == nil {
			return nil, syscall.ENOENT
		}
		return []Reply{{Cmd: cmdGroupGet, Attrs: encodeGroup(g, nil, true)}}, nil
	}
	return nil, syscall.EOPNOTSUPP
}

func (t *fakeTransport) Close() error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	t.closed = true
	t.evGrp = 0
	t.ctrl = false
	for i, s := range t.k.socks {
		if s == t {
			t.k.socks = append(t.k.socks[:i], t.k.socks[i+1:]...)
			break
		}
	}
	return nil
}

// waitIdle waits until every open socket is read empty by a reader that
// is blocked waiting for more.
func (k *fakeKernel) waitIdle(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		k.mu.Lock()
		idle := true
		for _, t := range k.socks {
			if len(t.queue) > 0 || t.err != nil || (t.evGrp != 0 && !t.blocked) {
				idle = false
			}
		}
		k.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatal("the readers never went idle")
}

func (k *fakeKernel) openSockets() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.socks)
}
