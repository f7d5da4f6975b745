// SPDX-License-Identifier: LGPL-2.1-or-later

// Package vfiogroup follows IOMMU groups through the vfiogroup kernel
// module's generic netlink family ("vfiogroup", docs/protocol.md), with the
// guarantees of libvfiogroup: list-then-watch without a gap, every loss
// detected (ENOBUFS, sequence gaps, malformed notifications) and followed
// by a drain, a new baseline and a dump whose differences are delivered as
// synthesized events, and module unload and reload followed.
package vfiogroup

import (
	"context"
	"errors"
	"time"
)

// Filter chooses the events a watch delivers.  The zero Filter wants
// everything.  Notices (Synced, Resync, Disconnected, Reconnected, Failed)
// are always delivered; their Groups list holds the groups the filter
// wants.
type Filter struct {
	// Groups: every event of these groups.
	Groups []uint32
	// Devices: the events that name one of these devices, and every event
	// of the group that holds one of them after the event, whichever group
	// that is (a device removed and rescanned may come back in another).
	Devices []string
}

func (f *Filter) all() bool {
	return f == nil || (len(f.Groups) == 0 && len(f.Devices) == 0)
}

func (f *Filter) wantsGroup(g *Group) bool {
	if f.all() {
		return true
	}
	for _, id := range f.Groups {
		if id == g.ID {
			return true
		}
	}
	for _, d := range f.Devices {
		if g.Device(d) != nil {
			return true
		}
	}
	return false
}

func (f *Filter) wants(ev *Event) bool {
	if f.all() || ev.Group == nil {
		return true
	}
	for _, d := range f.Devices {
		if ev.Device == d {
			return true
		}
	}
	return f.wantsGroup(ev.Group)
}

// Client talks to the module.  Each Watch has its own sockets and cache;
// each query opens a request socket for its duration.  A Client is safe
// for concurrent use.
type Client struct {
	dial func() (Transport, error)
}

// NewClient returns a Client that reaches the kernel through the
// transports dial opens: DialNetlink, or a fake in tests.
func NewClient(dial func() (Transport, error)) *Client {
	return &Client{dial: dial}
}

// WatchOption changes how a watch behaves.
type WatchOption func(*watchOptions)

type watchOptions struct {
	waitModule bool
	buffer     int
	stats      func(Stats)
	readBuffer int
}

// WaitModule: a watch made while the module is not loaded does not fail;
// when the module comes, every device it reports is delivered as
// synthesized events, then Reconnected.
func WaitModule() WatchOption { return func(o *watchOptions) { o.waitModule = true } }

// Buffer sets the capacity of the watch's channel (default 64).  A consumer
// that falls behind makes the socket overflow; the loss is detected and the
// missed transitions are synthesized, never silently dropped.
func Buffer(n int) WatchOption { return func(o *watchOptions) { o.buffer = n } }

// ReadBuffer sets the receive buffer of the watch's event socket
// (SO_RCVBUF) to bytes instead of the default 1 MiB, which the kernel caps
// at net.core.rmem_max (and doubles, for its bookkeeping).  A small one
// makes the socket overflow sooner, which is what tests of the loss
// handling want.  The transport must implement ReadBufferSetter (the
// netlink one does); Watch fails if it does not.
func ReadBuffer(bytes int) WatchOption { return func(o *watchOptions) { o.readBuffer = bytes } }

// ReadBufferSetter is implemented by transports whose event socket's
// receive buffer can be chosen (before the socket is first used).
type ReadBufferSetter interface {
	SetEventReadBuffer(bytes int) error
}

// StatsFunc gets the watch's counters after every unit of work (tests,
// diagnostics); it runs in the watch's goroutine.
func StatsFunc(fn func(Stats)) WatchOption { return func(o *watchOptions) { o.stats = fn } }

// retryDelay: how long a watch waits before retrying a failed resync.
var retryDelay = 100 * time.Millisecond

// Watch subscribes, then lists (list-then-watch): the first event is
// Synced with the groups f wants; every later event is newer than that
// list.  Events lost by the socket or the module are detected, and their
// transitions synthesized (Synthesized set) before a Resync notice; the
// module going away is Disconnected, its return synthesized differences
// then Reconnected.  The channel is closed when ctx ends (the sockets are
// closed then too), or after a Failed event.
func (c *Client) Watch(ctx context.Context, f Filter, opts ...WatchOption) (<-chan Event, error) {
	o := watchOptions{buffer: 64}
	for _, opt := range opts {
		opt(&o)
	}
	t, err := c.dial()
	if err != nil {
		return nil, err
	}
	if o.readBuffer > 0 {
		rb, ok := t.(ReadBufferSetter)
		if !ok {
			t.Close()
			return nil, errors.New("vfiogroup: ReadBuffer: the transport cannot set its read buffer")
		}
		if err := rb.SetEventReadBuffer(o.readBuffer); err != nil {
			t.Close()
			return nil, err
		}
	}
	s := newSession(t, &f)
	if err := s.connect(ctx, o.waitModule); err != nil {
		t.Close()
		return nil, err
	}
	ch := make(chan Event, o.buffer)
	go s.run(ctx, ch, o.stats)
	return ch, nil
}

func (s *session) run(ctx context.Context, ch chan<- Event, stats func(Stats)) {
	defer close(ch)
	defer s.t.Close()
	for {
		for len(s.pending) > 0 {
			select {
			case ch <- s.pending[0]:
				s.pending[0] = Event{}
				s.pending = s.pending[1:]
			case <-ctx.Done():
				return
			}
		}
		err := s.step(ctx, true)
		if stats != nil {
			stats(s.stats)
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if fatal(err) {
			select {
			case ch <- Event{Kind: Failed, Err: err}:
			case <-ctx.Done():
			}
			return
		}
		// A request or the socket failed for now (ENOMEM, EINTR, a
		// module half gone): the resync stays owed, try again.
		s.owed = true
		select {
		case <-time.After(retryDelay):
		case <-ctx.Done():
			return
		}
	}
}

// ---------------------------------------------------------------------
// Queries: each is a round trip to the module.

func (c *Client) with(ctx context.Context, fn func(Transport, Family) error) error {
	t, err := c.dial()
	if err != nil {
		return err
	}
	defer t.Close()
	fam, err := t.Resolve(ctx)
	if err == nil && fam.Version != FamilyVersion {
		err = ErrVersion
	}
	if err != nil {
		return err
	}
	return fn(t, fam)
}

// Groups returns every group, by id.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	err := c.with(ctx, func(t Transport, fam Family) error {
		var gs []*Group
		var err error
		for tries := 0; tries < 10; tries++ {
			if gs, err = dump(ctx, t, fam); !errors.Is(err, ErrDumpInterrupted) {
				break
			}
		}
		for _, g := range gs {
			out = append(out, *g)
		}
		return err
	})
	return out, err
}

// Group returns group id; ErrNotFound if there is none.
func (c *Client) Group(ctx context.Context, id uint32) (*Group, error) {
	var g *Group
	err := c.with(ctx, func(t Transport, fam Family) (err error) {
		g, err = getGroup(ctx, t, fam, id, "")
		return err
	})
	return g, err
}

// GroupByDevice returns the group that holds the named device (e.g.
// "0000:01:00.0"); ErrNotFound if none does.
func (c *Client) GroupByDevice(ctx context.Context, device string) (*Group, error) {
	var g *Group
	err := c.with(ctx, func(t Transport, fam Family) (err error) {
		g, err = getGroup(ctx, t, fam, 0, device)
		return err
	})
	return g, err
}

// Info returns the module's global state.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var in Info
	err := c.with(ctx, func(t Transport, fam Family) (err error) {
		in, err = getInfo(ctx, t, fam)
		return err
	})
	return in, err
}
