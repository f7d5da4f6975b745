// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

// Tests against messages the real module sent, recorded in the VM bench's
// guest by "vfiogroup-go-check record" (testdata/*.txt; see README.md).
// The expectations come from the recording's "# rec-sysfs:" lines (what
// sysfs showed) and from docs/protocol.md, not from the decoder.

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type recStep struct {
	name   string
	msgs   [][]byte // events
	driver string   // the device's driver after the step, sysfs
	vfio   bool     // the device registered with VFIO after the step, sysfs
}

type recording struct {
	file, kernel, module string
	dev                  string
	group                uint32
	driver               string                       // the original driver
	sys                  map[uint32]map[string]string // group -> device -> driver, before the steps
	dump, info, before   [][]byte
	steps                []*recStep
}

func readRecording(t *testing.T, path string) *recording {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &recording{file: filepath.Base(path), sys: map[uint32]map[string]string{}}
	var step string
	var cur *recStep
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# rec-step: "):
			step = strings.TrimPrefix(line, "# rec-step: ")
			cur = nil
			if step != "dump" && step != "info" && step != "before" {
				cur = &recStep{name: step}
				r.steps = append(r.steps, cur)
			}
		case strings.HasPrefix(line, "# rec-sysfs: "):
			w := strings.Fields(strings.TrimPrefix(line, "# rec-sysfs: "))
			switch {
			case len(w) == 4 && w[0] == "kernel" && w[2] == "module":
				r.kernel, r.module = w[1], w[3]
			case len(w) == 6 && w[0] == "dev" && w[2] == "group" && w[4] == "driver":
				id, err := strconv.ParseUint(w[3], 10, 32)
				if err != nil {
					t.Fatalf("%s: %q: %v", path, line, err)
				}
				r.dev, r.group, r.driver = w[1], uint32(id), w[5]
			case len(w) >= 3 && w[0] == "group":
				id, err := strconv.ParseUint(w[1], 10, 32)
				if err != nil {
					t.Fatalf("%s: %q: %v", path, line, err)
				}
				devs := map[string]string{}
				for _, nd := range w[2:] {
					i := strings.LastIndexByte(nd, '=')
					if i < 0 {
						t.Fatalf("%s: %q: no '='", path, line)
					}
					drv := nd[i+1:]
					if drv == "-" {
						drv = ""
					}
					devs[nd[:i]] = drv
				}
				r.sys[uint32(id)] = devs
			case len(w) >= 8 && w[0] == "after" && cur != nil:
				// after STEP...: dev BDF driver D vfio BOOL
				n := len(w)
				if w[n-6] != "dev" || w[n-4] != "driver" || w[n-2] != "vfio" {
					t.Fatalf("%s: %q", path, line)
				}
				cur.driver = w[n-3]
				if cur.driver == "-" {
					cur.driver = ""
				}
				cur.vfio = w[n-1] == "true"
			}
		case strings.HasPrefix(line, "# rec: "):
			w := strings.Fields(strings.TrimPrefix(line, "# rec: "))
			if len(w) != 2 {
				t.Fatalf("%s: %q", path, line)
			}
			b, err := hex.DecodeString(w[1])
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			switch {
			case w[0] == "dump":
				r.dump = append(r.dump, b)
			case w[0] == "info":
				r.info = append(r.info, b)
			case w[0] == "event" && cur != nil:
				cur.msgs = append(cur.msgs, b)
			case w[0] == "event":
				r.before = append(r.before, b)
			default:
				t.Fatalf("%s: %q: unknown kind", path, line)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if r.kernel == "" || r.dev == "" || r.driver == "" || len(r.sys) == 0 || len(r.dump) == 0 || len(r.info) != 1 || len(r.steps) != 4 {
		t.Fatalf("%s: incomplete recording (kernel %q, dev %q, driver %q, %d sysfs groups, %d dump, %d info, %d steps)",
			path, r.kernel, r.dev, r.driver, len(r.sys), len(r.dump), len(r.info), len(r.steps))
	}
	return r
}

func recordings(t *testing.T) []*recording {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no recordings in testdata")
	}
	var out []*recording
	for _, p := range paths {
		out = append(out, readRecording(t, p))
	}
	return out
}

// recMsg decodes one recorded message's headers with the package's
// splitter: exactly one netlink message, its type and genetlink command.
func recMsg(t *testing.T, b []byte) (typ uint16, cmd uint8, attrs []byte) {
	t.Helper()
	ms, err := splitMessages(b)
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d messages, %v", len(ms), err)
	}
	if len(ms[0].Payload) < genlHdrLen {
		t.Fatalf("payload of %d bytes", len(ms[0].Payload))
	}
	return ms[0].Type, ms[0].Payload[0], ms[0].Payload[genlHdrLen:]
}

// managedDriver: the bench's rule (tests/vm/guest/helpers-sysfs.sh): a
// device on one of these leaves its group viable.
func managedDriver(d string) bool {
	switch d {
	case "", "vfio-pci", "pci-stub", "pcieport":
		return true
	}
	return false
}

func (r *recording) famID(t *testing.T) uint16 {
	typ, _, _ := recMsg(t, r.info[0])
	return typ
}

func TestRecordedDump(t *testing.T) {
	for _, r := range recordings(t) {
		t.Run(r.file, func(t *testing.T) {
			fam := r.famID(t)
			if fam < genlIDCtrl+1 {
				t.Errorf("family id %d: not a dynamic genetlink id", fam)
			}
			seen := map[uint32]bool{}
			for _, b := range r.dump {
				typ, cmd, attrs := recMsg(t, b)
				if typ != fam || cmd != cmdGroupGet {
					t.Fatalf("dump entry type %d cmd %d", typ, cmd)
				}
				g, err := DecodeGroup(attrs)
				if err != nil {
					t.Fatal(err)
				}
				if seen[g.ID] {
					t.Errorf("group %d twice", g.ID)
				}
				seen[g.ID] = true
				want, ok := r.sys[g.ID]
				if !ok {
					t.Errorf("group %d not in sysfs", g.ID)
					continue
				}
				if len(g.Devices) != len(want) {
					t.Errorf("group %d: %d devices, sysfs %d", g.ID, len(g.Devices), len(want))
				}
				viable := true
				for _, d := range g.Devices {
					drv, ok := want[d.Name]
					if !ok {
						t.Errorf("group %d: device %s not in sysfs", g.ID, d.Name)
					}
					if d.Driver != drv {
						t.Errorf("group %d: device %s driver %q, sysfs %q", g.ID, d.Name, d.Driver, drv)
					}
					if d.Viable != managedDriver(drv) {
						t.Errorf("group %d: device %s (%q) viable %v", g.ID, d.Name, drv, d.Viable)
					}
					viable = viable && managedDriver(drv)
					if d.Bus != "" && d.Bus != "pci" {
						t.Errorf("device %s: bus %q", d.Name, d.Bus)
					}
					if d.Bus == "pci" && !d.PCI {
						t.Errorf("PCI device %s without vendor and device ids", d.Name)
					}
				}
				if g.Viable != viable {
					t.Errorf("group %d: viable %v, rule %v", g.ID, g.Viable, viable)
				}
				if g.ID == r.group {
					d := g.Device(r.dev)
					if d == nil || d.Driver != r.driver || g.Ready || g.Viable {
						t.Errorf("the recorded device's group %d: %+v", g.ID, g)
					}
				}
			}
			for id := range r.sys {
				if !seen[id] {
					t.Errorf("sysfs group %d not dumped", id)
				}
			}
		})
	}
}

func TestRecordedInfo(t *testing.T) {
	for _, r := range recordings(t) {
		t.Run(r.file, func(t *testing.T) {
			_, cmd, attrs := recMsg(t, r.info[0])
			if cmd != cmdInfoGet {
				t.Fatalf("info cmd %d", cmd)
			}
			in, err := DecodeInfo(attrs)
			if err != nil {
				t.Fatal(err)
			}
			if in.Groups != 0 && int(in.Groups) != len(r.sys) {
				t.Errorf("info-groups %d, sysfs %d", in.Groups, len(r.sys))
			}
			if in.Version != "" && r.module != "-" && in.Version != r.module {
				t.Errorf("info-version %q, /sys/module %q", in.Version, r.module)
			}
			if in.Events == False {
				t.Errorf("info-events false in the initial namespace")
			}
			if in.Notifier != NotifierIOMMUGroup && in.Notifier != NotifierBus {
				t.Errorf("info-notifier %d", in.Notifier)
			}
			for _, b := range r.dump {
				_, _, attrs := recMsg(t, b)
				if g, err := DecodeGroup(attrs); err == nil && g.Seq > in.Seq {
					t.Errorf("group %d seq %d after the info's %d", g.ID, g.Seq, in.Seq)
				}
			}
		})
	}
}

// expectStep: per docs/protocol.md, viability-changed and ready-changed
// come right after the event that caused them, viability first: after the
// driver event, except when a driver that makes the group not viable is
// bound: its DMA claim comes before the driver's probe (BIND_DRIVER,
// docs/kernel-module.md), so viability-changed precedes driver-bound.
func expectStep(bound bool, viaBefore, viaAfter, readyBefore, readyAfter bool) []EventKind {
	drv := DriverUnbound
	if bound {
		drv = DriverBound
	}
	var k []EventKind
	if viaBefore != viaAfter && bound && !viaAfter {
		k = append(k, ViabilityChanged, drv)
	} else {
		k = append(k, drv)
		if viaBefore != viaAfter {
			k = append(k, ViabilityChanged)
		}
	}
	if readyBefore != readyAfter {
		k = append(k, ReadyChanged)
	}
	return k
}

func TestRecordedEvents(t *testing.T) {
	for _, r := range recordings(t) {
		t.Run(r.file, func(t *testing.T) {
			fam := r.famID(t)
			_, _, ia := recMsg(t, r.info[0])
			in, err := DecodeInfo(ia)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.before) != 0 {
				t.Fatalf("%d events before the first step", len(r.before))
			}
			lastSeq := in.Seq
			// The device is alone in its group (the bench picks it so).
			if len(r.sys[r.group]) != 1 {
				t.Fatalf("group %d has %d devices", r.group, len(r.sys[r.group]))
			}
			// viable, ready: the group's flags as the events announce
			// them; each changes only with its own event.
			viable, ready := managedDriver(r.driver), false
			prevDriver, prevVFIO := r.driver, false
			for i, st := range r.steps {
				bound := i%2 == 1
				wantDrv := ""
				if bound {
					wantDrv = "vfio-pci"
					if i == 3 {
						wantDrv = r.driver
					}
				}
				if st.driver != wantDrv {
					t.Fatalf("step %d %q: sysfs driver %q, want %q", i, st.name, st.driver, wantDrv)
				}
				viaAfter := managedDriver(st.driver)
				readyAfter := viaAfter && st.vfio
				want := expectStep(bound, viable, viaAfter, ready, readyAfter)
				var got []EventKind
				driverSeen := false
				for j, b := range st.msgs {
					typ, cmd, attrs := recMsg(t, b)
					if typ != fam || cmd != cmdEventNtf {
						t.Fatalf("step %q event %d: type %d cmd %d", st.name, j, typ, cmd)
					}
					ev, err := DecodeEvent(attrs)
					if err != nil {
						t.Fatalf("step %q event %d: %v", st.name, j, err)
					}
					got = append(got, ev.Kind)
					if ev.Seq != lastSeq+1 {
						t.Errorf("step %q event %d: seq %d after %d", st.name, j, ev.Seq, lastSeq)
					}
					lastSeq = ev.Seq
					if ev.GroupID != r.group || ev.Group == nil || ev.Group.ID != r.group {
						t.Fatalf("step %q event %d: group %d", st.name, j, ev.GroupID)
					}
					if ev.Group.Seq != ev.Seq {
						t.Errorf("step %q event %d: group seq %d, event %d", st.name, j, ev.Group.Seq, ev.Seq)
					}
					if ev.TimeNS == 0 {
						t.Errorf("step %q event %d: no time", st.name, j)
					}
					switch ev.Kind {
					case DriverBound:
						driverSeen = true
						if ev.Device != r.dev || ev.Driver != st.driver {
							t.Errorf("step %q: bound %q %q", st.name, ev.Device, ev.Driver)
						}
					case DriverUnbound:
						driverSeen = true
						if ev.Device != r.dev || ev.Driver != prevDriver {
							t.Errorf("step %q: unbound %q %q, want %q", st.name, ev.Device, ev.Driver, prevDriver)
						}
					case ViabilityChanged:
						viable = !viable
					case ReadyChanged:
						ready = !ready
					}
					d := ev.Group.Device(r.dev)
					if d == nil || len(ev.Group.Devices) != 1 {
						t.Fatalf("step %q event %d: group devices %+v", st.name, j, ev.Group.Devices)
					}
					// Before the driver event, the device as it was;
					// from it on, as sysfs is after the step.
					drv, vfio := prevDriver, prevVFIO
					if driverSeen {
						drv, vfio = st.driver, st.vfio
					}
					if d.Driver != drv {
						t.Errorf("step %q %v: driver %q, want %q", st.name, ev.Kind, d.Driver, drv)
					}
					if d.VFIO != vfio {
						t.Errorf("step %q %v: vfio %v, want %v", st.name, ev.Kind, d.VFIO, vfio)
					}
					if (d.VFIODev != "") != (vfio && strings.HasPrefix(r.kernel, "6.")) || (d.VFIODev != "" && !strings.HasPrefix(d.VFIODev, "vfio")) {
						t.Errorf("step %q %v: vfio-dev %q", st.name, ev.Kind, d.VFIODev)
					}
					wantNode := ""
					if vfio {
						wantNode = "/dev/vfio/" + strconv.FormatUint(uint64(r.group), 10)
					}
					if ev.Group.Node != wantNode {
						t.Errorf("step %q %v: node %q, want %q", st.name, ev.Kind, ev.Group.Node, wantNode)
					}
					if ev.Group.Viable != viable || ev.Group.Ready != ready {
						t.Errorf("step %q %v: viable %v ready %v, announced %v %v", st.name, ev.Kind, ev.Group.Viable, ev.Group.Ready, viable, ready)
					}
					if j == len(st.msgs)-1 && d.Viable != viaAfter {
						t.Errorf("step %q %v: device viable %v, rule %v", st.name, ev.Kind, d.Viable, viaAfter)
					}
				}
				if !equalKinds(got, want) {
					t.Errorf("step %q: events %v, want %v", st.name, got, want)
				}
				if viable != viaAfter || ready != readyAfter {
					t.Errorf("step %q: ends viable %v ready %v, rule %v %v", st.name, viable, ready, viaAfter, readyAfter)
				}
				prevDriver, prevVFIO = st.driver, st.vfio
			}
		})
	}
}

func equalKinds(a, b []EventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// attrEnds returns the offsets where a run of attributes may end: after
// each attribute, with its padding whole, partial or absent (the decoder,
// like the kernel's nla_for_each_attr, takes the last attribute's padding
// as optional).
func attrEnds(b []byte) map[int]bool {
	ends := map[int]bool{0: true}
	for off := 0; off+nlaHdrLen <= len(b); {
		l := int(hostOrder().Uint16(b[off : off+2]))
		if l < nlaHdrLen {
			break
		}
		for e := off + l; e <= off+((l+3)&^3); e++ {
			ends[e] = true
		}
		off += (l + 3) &^ 3
	}
	return ends
}

func (r *recording) all() (out [][]byte) {
	out = append(out, r.dump...)
	out = append(out, r.info...)
	for _, st := range r.steps {
		out = append(out, st.msgs...)
	}
	return out
}

// Every prefix (not empty) of a recorded message is an error (never a panic) at the
// message level; inside the attributes, every cut that is not between two
// attributes is an error of the decoder.
func TestRecordedTruncated(t *testing.T) {
	for _, r := range recordings(t) {
		t.Run(r.file, func(t *testing.T) {
			for _, b := range r.all() {
				_, cmd, attrs := recMsg(t, b)
				for n := 1; n < len(b); n++ {
					if ms, err := splitMessages(b[:n]); err == nil {
						t.Fatalf("prefix %d of %d: %d messages, no error", n, len(b), len(ms))
					}
					s := newSession(nil, nil)
					s.connected = true
					s.datagram(b[:n])
					if s.stats.Malformed == 0 || !s.owed {
						t.Fatalf("session: prefix %d of %d not counted as malformed", n, len(b))
					}
				}
				ends := attrEnds(attrs)
				for n := 0; n < len(attrs); n++ {
					var err error
					switch cmd {
					case cmdGroupGet:
						_, err = DecodeGroup(attrs[:n])
					case cmdInfoGet:
						_, err = DecodeInfo(attrs[:n])
					case cmdEventNtf:
						_, err = DecodeEvent(attrs[:n])
					}
					if err == nil && !ends[n] {
						t.Fatalf("cmd %d: attributes cut at %d of %d decoded", cmd, n, len(attrs))
					}
					if err != nil && !errors.Is(err, ErrMalformed) {
						t.Fatalf("cmd %d: cut at %d: %v does not wrap ErrMalformed", cmd, n, err)
					}
				}
			}
		})
	}
}

// replay is a Transport that answers with the recording: its dump and
// info, then its events, one datagram each.
type replay struct {
	r     *recording
	fam   Family
	queue [][]byte
}

func (p *replay) WatchControl() error { return nil }
func (p *replay) Resolve(ctx context.Context) (Family, error) {
	return p.fam, nil
}
func (p *replay) Join(leave, join uint32) error { return nil }
func (p *replay) Recv(ctx context.Context, block bool) ([]byte, error) {
	if len(p.queue) > 0 {
		b := p.queue[0]
		p.queue = p.queue[1:]
		return b, nil
	}
	if !block {
		return nil, ErrAgain
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
func (p *replay) Request(ctx context.Context, fam Family, cmd uint8, dump bool, attrs []byte) ([]Reply, error) {
	src := p.r.info
	if cmd == cmdGroupGet && dump {
		src = p.r.dump
	} else if cmd != cmdInfoGet || dump {
		return nil, errors.New("replay: unexpected request")
	}
	var out []Reply
	for _, b := range src {
		ms, err := splitMessages(b)
		if err != nil || len(ms) != 1 || len(ms[0].Payload) < genlHdrLen {
			return nil, errors.New("replay: bad recorded message")
		}
		out = append(out, Reply{Cmd: ms[0].Payload[0], Attrs: ms[0].Payload[genlHdrLen:]})
	}
	return out, nil
}
func (p *replay) Close() error { return nil }

// The session's list-then-watch on the recording: the cache follows every
// event and ends as sysfs was after the last step (the device back on its
// driver, every other group as dumped).
func TestRecordedSession(t *testing.T) {
	for _, r := range recordings(t) {
		t.Run(r.file, func(t *testing.T) {
			p := &replay{r: r, fam: Family{ID: r.famID(t), Version: FamilyVersion, EventsGroup: 1}}
			var nev int
			var kinds []EventKind
			for _, st := range r.steps {
				p.queue = append(p.queue, st.msgs...)
				nev += len(st.msgs)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s := newSession(p, &Filter{})
			if err := s.connect(ctx, false); err != nil {
				t.Fatal(err)
			}
			for i := 0; len(p.queue) > 0 && i < 1000; i++ {
				if err := s.step(ctx, false); err != nil && !errors.Is(err, ErrAgain) {
					t.Fatal(err)
				}
			}
			if s.stats.Events != uint64(nev) || s.stats.Gaps != 0 || s.stats.Malformed != 0 || s.stats.Stale != 0 || s.owed {
				t.Fatalf("stats %+v, owed %v; %d events recorded", s.stats, s.owed, nev)
			}
			for _, ev := range s.pending {
				kinds = append(kinds, ev.Kind)
			}
			if len(kinds) != nev+1 || kinds[0] != Synced {
				t.Errorf("delivered %v", kinds)
			}
			// The final state, from sysfs: every group as before the
			// steps, the device on its original driver again.
			if len(s.cache) != len(r.sys) {
				t.Errorf("%d groups cached, sysfs %d", len(s.cache), len(r.sys))
			}
			for id, devs := range r.sys {
				e, ok := s.cache[id]
				if !ok || e.g == nil {
					t.Errorf("group %d not cached", id)
					continue
				}
				if len(e.g.Devices) != len(devs) {
					t.Errorf("group %d: %d devices, sysfs %d", id, len(e.g.Devices), len(devs))
				}
				viable := true
				for name, drv := range devs {
					d := e.g.Device(name)
					if d == nil || d.Driver != drv {
						t.Errorf("group %d: device %s %+v, sysfs driver %q", id, name, d, drv)
					}
					viable = viable && managedDriver(drv)
				}
				if e.g.Viable != viable {
					t.Errorf("group %d: viable %v, rule %v", id, e.g.Viable, viable)
				}
			}
			last := r.steps[len(r.steps)-1]
			if e := s.cache[r.group]; e.g == nil || e.seq != s.lastSeq || e.g.Device(r.dev).Driver != last.driver {
				t.Errorf("group %d: seq %d (last %d), %+v", r.group, e.seq, s.lastSeq, e.g)
			}
		})
	}
}
