// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	nic  = "0000:01:00.0" // group 1, e1000e: not viable
	gpu  = "0000:02:00.0" // group 2, vfio-pci: ready
	gpuA = "0000:02:00.1" // group 2, unbound
)

func testKernel() *fakeKernel {
	k := newFakeKernel()
	k.add(1, nic, "e1000e")
	k.add(2, gpu, "vfio-pci")
	k.add(2, gpuA, "")
	return k
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connected(t *testing.T, k *fakeKernel, f *Filter) *session {
	t.Helper()
	tr, _ := k.dial()
	s := newSession(tr, f)
	if err := s.connect(ctxT(t), false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return s
}

// pump runs the session until its socket is empty and returns what it
// would deliver.
func pump(t *testing.T, s *session) []Event {
	t.Helper()
	for i := 0; i < 10000; i++ {
		err := s.step(ctxT(t), false)
		if errors.Is(err, ErrAgain) {
			if s.owed {
				continue
			}
			evs := s.pending
			s.pending = nil
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the session never went idle")
	return nil
}

// brief renders events compactly for comparisons.
func brief(evs []Event) []string {
	var out []string
	for _, e := range evs {
		s := e.Kind.String()
		if e.Group != nil {
			s += fmt.Sprintf(" g%d", e.GroupID)
		}
		if e.Device != "" {
			s += " " + e.Device
		}
		if e.Driver != "" {
			s += " " + e.Driver
		}
		if e.Synthesized {
			s += " (synth)"
		}
		out = append(out, s)
	}
	return out
}

func expect(t *testing.T, got []Event, want ...string) {
	t.Helper()
	if b := brief(got); !reflect.DeepEqual(b, want) {
		t.Fatalf("events:\n  got  %q\n  want %q", b, want)
	}
}

// The cache must equal the kernel's state, group for group.
func checkCache(t *testing.T, s *session, k *fakeKernel) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for id, e := range s.cache {
		if e.g == nil {
			continue
		}
		n++
		kg := k.groups[id]
		if kg == nil {
			t.Fatalf("group %d cached, gone in the kernel", id)
		}
		want, _ := DecodeGroup(encodeGroup(kg, nil, false))
		if !reflect.DeepEqual(e.g.Devices, want.Devices) || e.g.Viable != want.Viable || e.g.Ready != want.Ready {
			t.Fatalf("group %d: cache %+v, kernel %+v", id, e.g, want)
		}
	}
	if n != len(k.groups) {
		t.Fatalf("%d groups cached, %d in the kernel", n, len(k.groups))
	}
}

func TestListThenWatchNoGap(t *testing.T) {
	k := testKernel()
	raced := map[string]bool{}
	k.before = func(cmd uint8, dump bool) {
		switch {
		case cmd == cmdInfoGet && !raced["info"]: // before the baseline
			raced["info"] = true
			k.bind(nic, "igb") // group 1: still not viable
		case dump && !raced["dump"]: // after the baseline, before the dump
			raced["dump"] = true
			k.bind(gpuA, "vfio-pci")
		}
	}
	k.after = func(cmd uint8, dump bool) {
		if dump && !raced["after"] { // right after the dump
			raced["after"] = true
			k.unbind(gpuA)
		}
	}
	s := connected(t, k, nil)
	k.before, k.after = nil, nil
	first := s.pending[0]
	s.pending = s.pending[1:]
	if first.Kind != Synced || len(first.Groups) != 2 {
		t.Fatalf("first event %+v", first)
	}
	// The dump has the racing bind: its event is old news.
	if d := first.Groups[1].Device(gpuA); d == nil || d.Driver != "vfio-pci" {
		t.Fatalf("dump missed the racing bind: %+v", first.Groups[1])
	}
	evs := pump(t, s)
	expect(t, evs, "driver-unbound g2 "+gpuA+" vfio-pci")
	if s.stats.Stale != 2 || s.stats.Gaps != 0 || s.stats.Resyncs != 0 {
		t.Fatalf("stats %+v", s.stats)
	}
	if evs[0].Seq != s.lastSeq || evs[0].Group.Device(gpuA).Driver != "" {
		t.Fatalf("event %+v", evs[0])
	}
	checkCache(t, s, k)
}

func TestOverflowResyncSynthesizes(t *testing.T) {
	k := testKernel()
	k.qcap = 2
	s := connected(t, k, nil)
	s.pending = nil
	k.unbind(nic)           // unbound, viability-changed
	k.bind(nic, "vfio-pci") // bound, ready-changed
	k.add(1, "0000:01:00.1", "")
	k.remove(gpu) // removed (with its driver), ready-changed
	evs := pump(t, s)
	expect(t, evs,
		"driver-unbound g1 "+nic+" e1000e (synth)",
		"driver-bound g1 "+nic+" vfio-pci (synth)",
		"device-added g1 0000:01:00.1 (synth)",
		"viability-changed g1 (synth)",
		"ready-changed g1 (synth)",
		"driver-unbound g2 "+gpu+" vfio-pci (synth)",
		"device-removed g2 "+gpu+" (synth)",
		"ready-changed g2 (synth)",
		"resync",
	)
	if s.stats.Lost != 1 || s.stats.Drained != 2 || s.stats.Resyncs != 1 || s.stats.Synthesized != 8 {
		t.Fatalf("stats %+v", s.stats)
	}
	if g := evs[6].Group; g.Device(gpu) != nil || g.Ready || g.Seq != s.cache[2].seq {
		t.Fatalf("synthesized removal carries %+v", g)
	}
	if len(evs[8].Groups) != 2 {
		t.Fatalf("resync notice %+v", evs[8])
	}
	checkCache(t, s, k)
	// Back to normal: the next events apply.
	k.bind(gpuA, "vfio-pci")
	expect(t, pump(t, s), "driver-bound g2 "+gpuA+" vfio-pci", "ready-changed g2")
}

// After ENOBUFS the socket is still congested: a baseline taken before it
// is read empty would be followed by events netlink drops without a word.
// An event made right after the resync's dump must arrive.
func TestResyncDrainsCongestedSocketFirst(t *testing.T) {
	k := testKernel()
	k.qcap = 2
	s := connected(t, k, nil)
	s.pending = nil
	for i := 0; i < 3; i++ {
		k.unbind(gpu)
		k.bind(gpu, "vfio-pci")
	}
	once := false
	k.after = func(cmd uint8, dump bool) {
		if dump && !once {
			once = true
			k.bind(gpuA, "vfio-pci")
		}
	}
	evs := pump(t, s)
	expect(t, evs, "resync", "driver-bound g2 "+gpuA+" vfio-pci")
	checkCache(t, s, k)
}

func TestModuleENOBUFSResyncs(t *testing.T) {
	k := testKernel()
	s := connected(t, k, nil)
	s.pending = nil
	k.bind(gpuA, "vfio-pci")
	k.lose(false) // the module could not send one: gap and ENOBUFS
	k.unbind(gpuA)
	evs := pump(t, s)
	// ENOBUFS comes first; the queued events predate the new baseline.
	expect(t, evs, "resync")
	if s.stats.Lost != 1 || s.stats.Drained != 2 {
		t.Fatalf("stats %+v", s.stats)
	}
	checkCache(t, s, k)
}

func TestGapResyncs(t *testing.T) {
	k := testKernel()
	s := connected(t, k, nil)
	s.pending = nil
	k.lose(true) // a gap, no ENOBUFS
	k.bind(gpuA, "vfio-pci")
	evs := pump(t, s)
	expect(t, evs, "driver-bound g2 "+gpuA+" vfio-pci (synth)", "resync")
	if s.stats.Gaps != 1 {
		t.Fatalf("stats %+v", s.stats)
	}
	checkCache(t, s, k)
}

func TestMalformedNotificationResyncs(t *testing.T) {
	k := testKernel()
	s := connected(t, k, nil)
	s.pending = nil
	k.send(nlMessage(k.famID, cmdEventNtf, appendU32(nil, attrGroupID, 2)))
	k.send([]byte{1, 2, 3})
	evs := pump(t, s)
	expect(t, evs, "resync")
	if s.stats.Malformed < 1 {
		t.Fatalf("stats %+v", s.stats)
	}
}

func TestForeignAndOtherMessagesIgnored(t *testing.T) {
	k := testKernel()
	s := connected(t, k, nil)
	s.pending = nil
	s.t.(*fakeTransport).foreign = 2
	k.send(nlMessage(k.famID, cmdGroupGet, nil))  // not a notification
	k.send(nlMessage(0x99, 1, []byte{1, 2}))      // another family
	k.send(nlMessage(genlIDCtrl, 3, nil))         // nlctrl news of no interest
	k.ctrl(ctrlMessage(ctrlCmdDelFamily, 0x1234)) // another family's id... of our name: not ours
	evs := pump(t, s)
	if len(evs) != 0 || s.stats.Foreign != 2 || s.stats.Resyncs != 0 || !s.connected {
		t.Fatalf("events %q, stats %+v", brief(evs), s.stats)
	}
}

func TestModuleReload(t *testing.T) {
	k := testKernel()
	s := connected(t, k, nil)
	s.pending = nil
	k.unload()
	expect(t, pump(t, s), "disconnected")
	k.unbind(gpu) // while the module is away: no event
	k.add(3, "0000:03:00.0", "vfio-pci")
	expect(t, pump(t, s))
	k.load(0x21, 9)
	expect(t, pump(t, s),
		"driver-unbound g2 "+gpu+" vfio-pci (synth)",
		"ready-changed g2 (synth)",
		"device-added g3 0000:03:00.0 (synth)",
		"driver-bound g3 0000:03:00.0 vfio-pci (synth)",
		"ready-changed g3 (synth)",
		"reconnected")
	if s.fam.ID != 0x21 || s.stats.Disconnects != 1 || s.stats.Reconnects != 1 {
		t.Fatalf("family %+v stats %+v", s.fam, s.stats)
	}
	// The new module numbers events from scratch.
	k.bind(gpu, "vfio-pci")
	evs := pump(t, s)
	expect(t, evs, "driver-bound g2 "+gpu+" vfio-pci", "ready-changed g2")
	if evs[0].Seq != 1 {
		t.Fatalf("seq %d", evs[0].Seq)
	}
	checkCache(t, s, k)
}

// The socket overflowed, then the module was reloaded: ESHUTDOWN replaced
// the ENOBUFS and nlctrl's news were dropped by the congested socket.
func TestReloadWhileCongested(t *testing.T) {
	k := testKernel()
	k.qcap = 2
	s := connected(t, k, nil)
	s.pending = nil
	for i := 0; i < 3; i++ {
		k.unbind(gpu)
		k.bind(gpu, "vfio-pci")
	}
	k.unload()
	k.unbind(gpu)
	k.load(0x22, 11)
	evs := pump(t, s)
	expect(t, evs, "disconnected",
		"driver-unbound g2 "+gpu+" vfio-pci (synth)",
		"ready-changed g2 (synth)",
		"reconnected")
	checkCache(t, s, k)
	k.bind(gpu, "vfio-pci")
	expect(t, pump(t, s), "driver-bound g2 "+gpu+" vfio-pci", "ready-changed g2")
}

func TestWatchWaitsForModule(t *testing.T) {
	k := testKernel()
	k.unload()
	if _, err := k.client().Watch(ctxT(t), Filter{}); !errors.Is(err, ErrNoModule) {
		t.Fatalf("watch without the module: %v", err)
	}
	ch, err := k.client().Watch(ctxT(t), Filter{Groups: []uint32{1}}, WaitModule())
	if err != nil {
		t.Fatal(err)
	}
	k.waitIdle(t)
	k.load(0x23, 12)
	var got []Event
	for ev := range ch {
		got = append(got, ev)
		if ev.Kind == Reconnected {
			break
		}
	}
	expect(t, got, "device-added g1 "+nic+" (synth)", "driver-bound g1 "+nic+" e1000e (synth)", "reconnected")
	if len(got[2].Groups) != 1 || got[2].Groups[0].ID != 1 {
		t.Fatalf("reconnected lists %+v", got[2].Groups)
	}
}

func TestEventsUnreachable(t *testing.T) {
	k := testKernel()
	k.noEvents = true
	if _, err := k.client().Watch(ctxT(t), Filter{}); !errors.Is(err, ErrEventsUnreachable) {
		t.Fatalf("err %v", err)
	}
	if n := k.openSockets(); n != 0 {
		t.Fatalf("%d sockets left open", n)
	}
}

func TestFilterFollowsDeviceAcrossGroups(t *testing.T) {
	k := testKernel()
	s := connected(t, k, &Filter{Devices: []string{gpuA}})
	if g := s.pending[0].Groups; len(g) != 1 || g[0].ID != 2 {
		t.Fatalf("synced lists %+v", g)
	}
	s.pending = nil
	k.bind(nic, "igb") // group 1, not followed
	k.remove(gpuA)     // names the device
	k.add(5, gpuA, "") // a new group
	k.add(5, "0000:05:00.1", "")
	k.bind("0000:05:00.1", "vfio-pci") // its group holds the device now
	expect(t, pump(t, s),
		"device-removed g2 "+gpuA,
		"device-added g5 "+gpuA,
		"device-added g5 0000:05:00.1",
		"driver-bound g5 0000:05:00.1 vfio-pci",
		"ready-changed g5")
}

// ---------------------------------------------------------------------
// The Watch API: goroutine, channel, cancellation.

func settleGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWatchDeliversThenCancels(t *testing.T) {
	base := runtime.NumGoroutine()
	k := testKernel()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := k.client().Watch(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.Kind != Synced || len(ev.Groups) != 2 {
		t.Fatalf("first %+v", ev)
	}
	k.bind(gpuA, "vfio-pci")
	if ev := <-ch; ev.Kind != DriverBound || ev.Device != gpuA || ev.Synthesized {
		t.Fatalf("event %+v", ev)
	}
	k.waitIdle(t) // blocked in Recv
	cancel()
	for ev := range ch {
		t.Fatalf("after cancel: %+v", ev)
	}
	settleGoroutines(t, base)
	if n := k.openSockets(); n != 0 {
		t.Fatalf("%d sockets left open", n)
	}
}

// A consumer that stops reading: the watch blocks on its channel, the
// socket overflows; cancelling still ends it, and reading on gets the
// losses synthesized.
func TestWatchSlowConsumer(t *testing.T) {
	base := runtime.NumGoroutine()
	k := testKernel()
	k.qcap = 4
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := k.client().Watch(ctx, Filter{}, Buffer(0))
	if err != nil {
		t.Fatal(err)
	}
	<-ch // synced
	for i := 0; i < 10; i++ {
		k.unbind(gpu)
		k.bind(gpu, "vfio-pci")
	}
	k.unbind(gpu)
	k.mu.Lock()
	final := k.seq
	k.mu.Unlock()
	// Read until the state is current: everything up to the last event,
	// some of it synthesized after the losses.
	resyncs := 0
	var last Event
	for ev := range ch {
		if ev.Kind == Resync {
			resyncs++
		}
		last = ev
		if ev.Seq == final && !ev.Synthesized { // a kernel event or a notice
			break
		}
	}
	if resyncs == 0 || last.Seq != final {
		t.Fatalf("%d resyncs, last %+v", resyncs, last)
	}
	if last.Kind == Resync && last.Groups[1].Device(gpu).Driver != "" ||
		last.Kind != Resync && last.Group.Device(gpu).Driver != "" {
		t.Fatalf("last %+v", last)
	}
	// Blocked on the channel when cancelled.
	k.bind(gpu, "vfio-pci")
	time.Sleep(10 * time.Millisecond)
	cancel()
	for range ch {
	}
	settleGoroutines(t, base)
}

func TestWatchCancelledDuringConnect(t *testing.T) {
	k := testKernel()
	ctx, cancel := context.WithCancel(context.Background())
	k.before = func(cmd uint8, dump bool) { cancel() }
	_, err := k.client().Watch(ctx, Filter{})
	// The fake answers regardless; the real transport returns ctx's
	// error.  Either way no socket is left behind on failure and a
	// successful watch ends at once.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for k.openSockets() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("socket left open")
		}
		time.Sleep(time.Millisecond)
	}
}

// ---------------------------------------------------------------------
// Readiness

func TestReadiness(t *testing.T) {
	k := testKernel()
	c := k.client()
	ctx := ctxT(t)
	r, err := c.DeviceReadiness(ctx, nic)
	if err != nil || r.Ready || r.Reason != ReasonNotViable || r.Device != nic || r.Driver != "e1000e" {
		t.Fatalf("nic: %+v %v", r, err)
	}
	r, err = c.DeviceReadiness(ctx, gpu)
	if err != nil || !r.Ready || r.Node != "/dev/vfio/2" || r.VFIODev != "vfio0" || r.InUse != False {
		t.Fatalf("gpu: %+v %v", r, err)
	}
	r, err = c.DeviceReadiness(ctx, gpuA) // group ready, this device not with VFIO
	if err != nil || r.Ready || r.Reason != ReasonNoVFIO || r.Device != gpuA {
		t.Fatalf("gpuA: %+v %v", r, err)
	}
	k.setInUse(2, true)
	r, err = c.Readiness(ctx, 2)
	if err != nil || r.Ready || r.Reason != ReasonInUse || r.InUse != True {
		t.Fatalf("in use: %+v %v", r, err)
	}
	k.unbind(nic)
	r, err = c.Readiness(ctx, 1) // viable, nothing with VFIO
	if err != nil || r.Ready || r.Reason != ReasonNoVFIO || r.Device != nic {
		t.Fatalf("unbound: %+v %v", r, err)
	}
	if _, err := c.Readiness(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no group: %v", err)
	}
	if _, err := c.DeviceReadiness(ctx, "0000:99:00.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no device: %v", err)
	}
	gs, err := c.Groups(ctx)
	if err != nil || len(gs) != 2 {
		t.Fatalf("groups %+v %v", gs, err)
	}
	in, err := c.Info(ctx)
	if err != nil || in.Events != True || in.Version != "fake" {
		t.Fatalf("info %+v %v", in, err)
	}
	k.unload()
	if _, err := c.Group(ctx, 1); !errors.Is(err, ErrNoModule) {
		t.Fatalf("without module: %v", err)
	}
}

// libvirt's sequence: unbind the host driver, then bind vfio-pci.  In
// between the group is viable but nothing can be opened: a wait must not
// return there.
func TestWaitReadySkipsUnbindBindGap(t *testing.T) {
	base := runtime.NumGoroutine()
	k := testKernel()
	done := make(chan Readiness, 1)
	errc := make(chan error, 1)
	go func() {
		r, err := k.client().WaitReady(ctxT(t), nic)
		done <- r
		errc <- err
	}()
	k.waitIdle(t)
	k.unbind(nic) // the gap: viable, no VFIO
	k.waitIdle(t)
	select {
	case r := <-done:
		t.Fatalf("returned in the gap: %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
	k.bind(nic, "vfio-pci")
	select {
	case r := <-done:
		if err := <-errc; err != nil || !r.Ready || r.Node != "/dev/vfio/1" || r.Device != "" {
			t.Fatalf("%+v %v", r, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never returned")
	}
	settleGoroutines(t, base)
}

func TestWaitReadyInUseRechecks(t *testing.T) {
	k := testKernel()
	k.setInUse(2, true)
	done := make(chan Readiness, 1)
	go func() {
		r, _ := k.client().WaitReady(ctxT(t), gpu)
		done <- r
	}()
	time.Sleep(3 * inUseRecheck / 2)
	select {
	case r := <-done:
		t.Fatalf("returned while in use: %+v", r)
	default:
	}
	k.setInUse(2, false) // no event says so
	select {
	case r := <-done:
		if !r.Ready || r.InUse != False {
			t.Fatalf("%+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never returned")
	}
}

func TestWaitReadyTimesOutWithLastAnswer(t *testing.T) {
	base := runtime.NumGoroutine()
	k := testKernel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r, err := k.client().WaitReady(ctx, nic)
	if !errors.Is(err, context.DeadlineExceeded) || r.Reason != ReasonNotViable || r.Driver != "e1000e" {
		t.Fatalf("%+v %v", r, err)
	}
	settleGoroutines(t, base)
	if n := k.openSockets(); n != 0 {
		t.Fatalf("%d sockets left open", n)
	}
}

// A device that is not there yet, a module that is not loaded yet.
func TestWaitReadyWaitsForModuleAndDevice(t *testing.T) {
	k := testKernel()
	k.unload()
	done := make(chan Readiness, 1)
	go func() {
		r, _ := k.client().WaitReady(ctxT(t), "0000:07:00.0")
		done <- r
	}()
	k.waitIdle(t)
	k.load(0x24, 13)
	k.waitIdle(t)
	k.add(7, "0000:07:00.0", "")
	k.waitIdle(t)
	k.bind("0000:07:00.0", "vfio-pci")
	select {
	case r := <-done:
		if !r.Ready || r.GroupID != 7 || !strings.HasSuffix(r.Node, "/7") {
			t.Fatalf("%+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never returned")
	}
}
