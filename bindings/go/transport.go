// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"context"
	"errors"
)

// Family is the resolved generic netlink family.
type Family struct {
	ID          uint16
	Version     uint32
	EventsGroup uint32 // multicast group id of "events"
}

// Reply is one reply message of a request: its genetlink command and the
// attributes after the genetlink header.
type Reply struct {
	Cmd   uint8
	Attrs []byte
}

// Transport is what the watch logic needs of the kernel.  NetlinkTransport
// is the real one; the unit tests plug in a fake kernel that builds real
// netlink bytes, so decoding, sequence numbers, loss handling and resyncs
// are tested as they run.
//
// A Transport has an event socket (nlctrl news and the family's events)
// and a request socket; it is used by one goroutine at a time.
type Transport interface {
	// WatchControl joins nlctrl's "notify" group on the event socket, so
	// that family registrations and removals are heard.
	WatchControl() error
	// Resolve looks the family up: ErrNoModule when it is not registered.
	Resolve(ctx context.Context) (Family, error)
	// Join joins multicast group join on the event socket, after leaving
	// leave if it is not 0.
	Join(leave, join uint32) error
	// Recv returns the next datagram of the event socket.  Without block
	// it returns ErrAgain once the socket is empty (a real recv that found
	// it so: that is what clears netlink's congestion).  Errors: ErrLost
	// (ENOBUFS, or a datagram cut short), ErrShutdown (ESHUTDOWN: the
	// module is going away), ErrForeign (not sent by the kernel), the
	// context's error, or another failure of the socket.
	Recv(ctx context.Context, block bool) ([]byte, error)
	// Request sends a do (or, with dump, a dump) of cmd with the given
	// attributes to the family, and returns its replies.  A dump the
	// kernel flagged inconsistent is ErrDumpInterrupted; an error the
	// kernel answered is a syscall.Errno.
	Request(ctx context.Context, fam Family, cmd uint8, dump bool, attrs []byte) ([]Reply, error)
	Close() error
}

var (
	// ErrNoModule: the "vfiogroup" family is not registered (the module
	// is not loaded).
	ErrNoModule = errors.New("vfiogroup: generic netlink family \"vfiogroup\" not found: the vfiogroup kernel module is not loaded")
	// ErrVersion: the module speaks another version of the family, or has
	// no "events" group.
	ErrVersion = errors.New("vfiogroup: the kernel module speaks another version of the family")
	// ErrEventsUnreachable: the module's events do not reach this network
	// namespace (one owned by a user namespace other than the initial one).
	ErrEventsUnreachable = errors.New("vfiogroup: the module's events do not reach this network namespace")
	// ErrNotFound: no such group, or no group holds that device.
	ErrNotFound = errors.New("vfiogroup: no such group or device")

	ErrAgain           = errors.New("vfiogroup: event socket empty")
	ErrLost            = errors.New("vfiogroup: events lost")
	ErrShutdown        = errors.New("vfiogroup: the module is going away")
	ErrForeign         = errors.New("vfiogroup: message not from the kernel")
	ErrDumpInterrupted = errors.New("vfiogroup: dump interrupted")
)
