// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"context"
	"errors"
	"syscall"
)

// Stats counts what a watch saw.
type Stats struct {
	Datagrams   uint64 // read from the event socket
	Events      uint64 // applied
	Stale       uint64 // skipped: not newer than the group's state
	Gaps        uint64 // sequence gaps (lost events)
	Lost        uint64 // ENOBUFS or a datagram cut short
	Malformed   uint64 // messages that did not decode
	Foreign     uint64 // datagrams not from the kernel
	Drained     uint64 // thrown away before a baseline
	Resyncs     uint64
	Reconnects  uint64
	Disconnects uint64
	Synthesized uint64
}

// session is one event socket and the cache it keeps current: the logic of
// libvfiogroup's sync.c and dispatch.c, without a kernel filter (every
// event reaches the socket, so sequence gaps are losses too).  It is used
// by one goroutine.
type session struct {
	t         Transport
	f         *Filter
	fam       Family
	connected bool // the family is resolved and joined, and the cache follows it
	owed      bool // a resync is owed: drain, then baseline, then dump
	lastSeq   uint64
	syncSeq   uint64 // the baseline of the last dump
	cache     cache
	info      Info // the last baseline's
	stats     Stats
	pending   []Event // to deliver, in order
}

func newSession(t Transport, f *Filter) *session {
	return &session{t: t, f: f, cache: cache{}}
}

type syncWhy int

const (
	syncInitial syncWhy = iota
	syncResync
	syncReconnect
)

// connect joins nlctrl's news, then lists: the first Synced event is
// pending on success.  With waitModule, a module not loaded is not an
// error: the session waits for it, disconnected.
func (s *session) connect(ctx context.Context, waitModule bool) error {
	if err := s.t.WatchControl(); err != nil {
		return err
	}
	for tries := 0; ; tries++ {
		err := s.sync(ctx, syncInitial)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrDumpInterrupted) && tries < 10 {
			continue
		}
		if waitModule && (errors.Is(err, ErrNoModule) || errors.Is(err, ErrVersion) || familyGone(err)) {
			s.connected = false
			return nil
		}
		return err
	}
}

// familyGone: a request answered as if the family were not registered.
func familyGone(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EOPNOTSUPP)
}

// fatal errors end a watch; others are retried.
func fatal(err error) bool {
	return errors.Is(err, ErrEventsUnreachable) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.EBADF)
}

func (s *session) request(ctx context.Context, cmd uint8, dump bool, attrs []byte) ([]Reply, error) {
	return s.t.Request(ctx, s.fam, cmd, dump, attrs)
}

// sync: resolve, join, baseline, dump; then the differences with the old
// cache as synthesized events, and the notice.
func (s *session) sync(ctx context.Context, why syncWhy) error {
	fam, err := s.t.Resolve(ctx)
	if err == nil && fam.Version != FamilyVersion {
		err = ErrVersion
	}
	if err != nil {
		return err
	}
	old := s.fam
	moved := s.connected && old.ID != fam.ID
	// Join every time: an unregistered family loses its listeners, and a
	// reload we missed may reuse the ids.  Joining twice is harmless;
	// leaving and joining the same group would open a window.
	var leave uint32
	if old.EventsGroup != 0 && old.EventsGroup != fam.EventsGroup {
		leave = old.EventsGroup
	}
	if err := s.t.Join(leave, fam.EventsGroup); err != nil {
		return err
	}
	s.fam = fam
	// Joined: now the baseline, then the list.
	info, err := getInfo(ctx, s.t, fam)
	if err != nil {
		return err
	}
	if info.Events == False {
		return ErrEventsUnreachable
	}
	fresh, err := dump(ctx, s.t, fam)
	if err != nil {
		return err
	}
	c := cache{}
	for _, g := range fresh {
		c[g.ID] = entry{g: g, seq: g.Seq}
	}
	var synth []Event
	if why != syncInitial {
		synth = diff(s.cache, c)
	}
	wasConnected := s.connected
	s.cache = c
	s.info = info
	s.lastSeq, s.syncSeq = info.Seq, info.Seq
	s.connected = true
	s.owed = false
	s.stats.Synthesized += uint64(len(synth))
	for _, ev := range synth {
		s.push(ev)
	}
	kind := Synced
	switch {
	case why == syncInitial:
	case why == syncResync && wasConnected && !moved:
		kind = Resync
		s.stats.Resyncs++
	default:
		kind = Reconnected
		s.stats.Reconnects++
	}
	s.pending = append(s.pending, Event{Kind: kind, Seq: info.Seq, Groups: s.cache.list(s.f)})
	return nil
}

// push queues a group event for delivery if the filter wants it.
func (s *session) push(ev Event) {
	if !s.f.wants(&ev) {
		return
	}
	ev.Group = ev.Group.clone()
	s.pending = append(s.pending, ev)
}

func (s *session) disconnect() {
	if !s.connected {
		return
	}
	s.connected = false
	s.stats.Disconnects++
	s.pending = append(s.pending, Event{Kind: Disconnected})
}

// drain reads the event socket until it is empty, throwing away what it
// reads: after ENOBUFS the socket is congested, and netlink drops every
// multicast for it silently until a read finds its queue empty.  What is
// thrown away is older than the baseline taken next.
func (s *session) drain(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := s.t.Recv(ctx, false)
		switch {
		case err == nil:
			s.stats.Drained++
		case errors.Is(err, ErrAgain):
			return nil
		case errors.Is(err, ErrLost):
			s.stats.Lost++
		case errors.Is(err, ErrShutdown):
			// resolved again once drained
			s.disconnect()
		case errors.Is(err, ErrForeign):
			s.stats.Foreign++
		default:
			return err
		}
	}
}

// resync drains, then lists again.  The module being away is not an
// error: nlctrl says when it is back.
func (s *session) resync(ctx context.Context) error {
	if err := s.drain(ctx); err != nil {
		return err
	}
	why := syncResync
	if !s.connected {
		why = syncReconnect
	}
	for tries := 0; ; tries++ {
		err := s.sync(ctx, why)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrDumpInterrupted) && tries < 10:
			continue
		case errors.Is(err, ErrNoModule), errors.Is(err, ErrVersion), familyGone(err):
			s.disconnect()
			s.owed = false
			return nil
		}
		return err
	}
}

// step does one unit of work: the resync owed, or one datagram.  Without
// block it returns ErrAgain when the socket is empty.
func (s *session) step(ctx context.Context, block bool) error {
	if s.owed {
		return s.resync(ctx)
	}
	b, err := s.t.Recv(ctx, block)
	switch {
	case err == nil:
		s.stats.Datagrams++
		s.datagram(b)
		return nil
	case errors.Is(err, ErrLost):
		s.stats.Lost++
		s.owed = true
		return nil
	case errors.Is(err, ErrShutdown):
		// The module is going away.  Its ESHUTDOWN replaces a pending
		// ENOBUFS (netlink_set_err() sets sk_err whatever it held), so
		// the socket may be congested with no word of it, dropping
		// nlctrl's NEWFAMILY silently: drain and resolve again, as after
		// a loss.  The family being gone then just means waiting for
		// NEWFAMILY, which a drained socket cannot miss.
		s.disconnect()
		s.owed = true
		return nil
	case errors.Is(err, ErrForeign):
		s.stats.Foreign++
		return nil
	}
	return err
}

func (s *session) datagram(b []byte) {
	msgs, err := splitMessages(b)
	for _, m := range msgs {
		s.message(m)
	}
	if err != nil {
		// Whatever it held is lost: start over from a dump.
		s.stats.Malformed++
		s.owed = true
	}
}

func (s *session) message(m nlMsg) {
	switch {
	case m.Type == genlIDCtrl:
		if len(m.Payload) < genlHdrLen {
			s.stats.Malformed++
			return
		}
		cmd := m.Payload[0]
		if cmd != ctrlCmdNewFamily && cmd != ctrlCmdDelFamily {
			return
		}
		n, err := decodeCtrl(cmd, m.Payload[genlHdrLen:])
		if err != nil {
			// It may have been our family's news: look again.
			s.stats.Malformed++
			s.owed = true
			return
		}
		if n.Name != FamilyName {
			return
		}
		if cmd == ctrlCmdDelFamily {
			if n.ID == s.fam.ID {
				s.disconnect()
			}
			return
		}
		// NEWFAMILY: the module is (back) there.  If we thought we were
		// connected, we missed its removal: either way, list again and
		// report the differences.
		s.owed = true
	case s.connected && m.Type == s.fam.ID:
		if len(m.Payload) < genlHdrLen {
			s.stats.Malformed++
			s.owed = true
			return
		}
		if m.Payload[0] != cmdEventNtf {
			return
		}
		ev, err := DecodeEvent(m.Payload[genlHdrLen:])
		if err != nil {
			// A notification of ours that does not decode is an
			// event lost.
			s.stats.Malformed++
			s.owed = true
			return
		}
		s.event(ev)
	}
}

// event applies a notification: the sequence bookkeeping, then the cache.
func (s *session) event(ev Event) {
	if s.owed || !s.connected {
		return // the resync to come covers it
	}
	if ev.Seq > s.lastSeq {
		if ev.Seq != s.lastSeq+1 {
			s.stats.Gaps++
			s.owed = true
			return
		}
		s.lastSeq = ev.Seq
	}
	base := s.syncSeq
	if e, ok := s.cache[ev.GroupID]; ok {
		base = e.seq
	}
	if ev.Seq <= base {
		s.stats.Stale++ // the dump, or an earlier event, had it
		return
	}
	s.stats.Events++
	if len(ev.Group.Devices) == 0 {
		s.cache[ev.GroupID] = entry{seq: ev.Group.Seq}
	} else {
		s.cache[ev.GroupID] = entry{g: ev.Group, seq: ev.Group.Seq}
	}
	s.push(ev)
}

// ---------------------------------------------------------------------
// Requests

func getInfo(ctx context.Context, t Transport, fam Family) (Info, error) {
	rs, err := t.Request(ctx, fam, cmdInfoGet, false, nil)
	if err != nil {
		return Info{}, err
	}
	if len(rs) != 1 || rs[0].Cmd != cmdInfoGet {
		return Info{}, malformed("info-get: %d replies", len(rs))
	}
	return DecodeInfo(rs[0].Attrs)
}

func dump(ctx context.Context, t Transport, fam Family) ([]*Group, error) {
	rs, err := t.Request(ctx, fam, cmdGroupGet, true, nil)
	if err != nil {
		return nil, err
	}
	out := make([]*Group, 0, len(rs))
	seen := map[uint32]bool{}
	for _, r := range rs {
		if r.Cmd != cmdGroupGet {
			return nil, malformed("dump: reply command %d", r.Cmd)
		}
		g, err := DecodeGroup(r.Attrs)
		if err != nil {
			return nil, err
		}
		if seen[g.ID] {
			return nil, malformed("dump: group %d twice", g.ID)
		}
		seen[g.ID] = true
		out = append(out, g)
	}
	return out, nil
}

// getGroup asks for one group, by id or (name not empty) by device.
func getGroup(ctx context.Context, t Transport, fam Family, id uint32, name string) (*Group, error) {
	var attrs []byte
	if name != "" {
		if len(name) >= NameMax {
			return nil, ErrNotFound
		}
		attrs = appendString(nil, attrGroupDevName, name)
	} else {
		attrs = appendU32(nil, attrGroupID, id)
	}
	rs, err := t.Request(ctx, fam, cmdGroupGet, false, attrs)
	if errors.Is(err, syscall.ENOENT) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || rs[0].Cmd != cmdGroupGet {
		return nil, malformed("group-get: %d replies", len(rs))
	}
	return DecodeGroup(rs[0].Attrs)
}
