// SPDX-License-Identifier: LGPL-2.1-or-later

//go:build linux

package vfiogroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const (
	eventRcvBuf = 1 << 20 // room for bursts; capped by net.core.rmem_max
	eventBufLen = 64 << 10
)

// NetlinkTransport is the real Transport: two generic netlink sockets, one
// for requests (blocking, replies only) and one for events, opened when
// first needed.  The event socket is read with recvmsg() directly, for the
// raw errors (ENOBUFS, ESHUTDOWN), MSG_TRUNC and the sender's address (only
// the kernel, port 0, is believed).
type NetlinkTransport struct {
	req *genetlink.Conn
	ev  *genetlink.Conn
	raw syscall.RawConn
	buf []byte
	// rcvbuf: SO_RCVBUF of the event socket, 0 for eventRcvBuf.
	rcvbuf int
}

// New returns a Client on the real netlink transport.
func New() *Client { return NewClient(DialNetlink) }

// DialNetlink opens the request socket; the event socket is opened by the
// first call that needs it.
func DialNetlink() (Transport, error) {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("vfiogroup: generic netlink socket: %w", err)
	}
	return &NetlinkTransport{req: c}, nil
}

// request returns the request socket, opened again after one was
// abandoned mid-request (its late replies must not answer the next one).
func (t *NetlinkTransport) request() (*genetlink.Conn, error) {
	if t.req == nil {
		c, err := genetlink.Dial(nil)
		if err != nil {
			return nil, fmt.Errorf("vfiogroup: generic netlink socket: %w", err)
		}
		t.req = c
	}
	return t.req, nil
}

// abandon closes a request socket that may still get replies.
func (t *NetlinkTransport) abandon() {
	if t.req != nil {
		t.req.Close()
		t.req = nil
	}
}

func (t *NetlinkTransport) events() error {
	if t.ev != nil {
		return nil
	}
	c, err := genetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("vfiogroup: generic netlink socket: %w", err)
	}
	if t.rcvbuf > 0 {
		if err := c.SetReadBuffer(t.rcvbuf); err != nil {
			c.Close()
			return fmt.Errorf("vfiogroup: SO_RCVBUF %d: %w", t.rcvbuf, err)
		}
	} else {
		// Best effort: the kernel caps it at net.core.rmem_max anyway.
		_ = c.SetReadBuffer(eventRcvBuf)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return err
	}
	t.ev, t.raw, t.buf = c, raw, make([]byte, eventBufLen)
	return nil
}

// SetEventReadBuffer sets SO_RCVBUF of the event socket, now if it is
// open, else when it is opened (ReadBuffer).
func (t *NetlinkTransport) SetEventReadBuffer(bytes int) error {
	if bytes <= 0 {
		return fmt.Errorf("vfiogroup: read buffer of %d bytes", bytes)
	}
	t.rcvbuf = bytes
	if t.ev != nil {
		return t.ev.SetReadBuffer(bytes)
	}
	return nil
}

// Close closes both sockets.
func (t *NetlinkTransport) Close() error {
	var err error
	if t.req != nil {
		err = t.req.Close()
	}
	if t.ev != nil {
		if e := t.ev.Close(); err == nil {
			err = e
		}
	}
	return err
}

func (t *NetlinkTransport) WatchControl() error {
	if err := t.events(); err != nil {
		return err
	}
	req, err := t.request()
	if err != nil {
		return err
	}
	f, err := req.GetFamily("nlctrl")
	if err != nil {
		t.abandon()
		return err
	}
	for _, g := range f.Groups {
		if g.Name == "notify" {
			return t.ev.JoinGroup(g.ID)
		}
	}
	return errors.New("vfiogroup: nlctrl has no \"notify\" group")
}

// withCancel makes conn's blocking calls return when ctx ends, until the
// returned function is called.  Only once ctx is done (its deadline is not
// copied to the socket): a call that fails on the deadline then always
// finds ctx.Err() set.
func withCancel(ctx context.Context, setDeadline func(time.Time) error) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			_ = setDeadline(time.Unix(1, 0))
		case <-stop:
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		_ = setDeadline(time.Time{})
	}
}

func (t *NetlinkTransport) Resolve(ctx context.Context) (Family, error) {
	req, err := t.request()
	if err != nil {
		return Family{}, err
	}
	done := withCancel(ctx, req.SetDeadline)
	f, err := req.GetFamily(FamilyName)
	done()
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) {
		return Family{}, ErrNoModule
	}
	if err != nil {
		t.abandon()
		if ctx.Err() != nil {
			return Family{}, ctx.Err()
		}
		return Family{}, err
	}
	fam := Family{ID: f.ID, Version: uint32(f.Version)}
	for _, g := range f.Groups {
		if g.Name == McgrpEvents {
			fam.EventsGroup = g.ID
		}
	}
	if fam.EventsGroup == 0 {
		return fam, ErrVersion
	}
	return fam, nil
}

func (t *NetlinkTransport) Join(leave, join uint32) error {
	if err := t.events(); err != nil {
		return err
	}
	if leave != 0 {
		_ = t.ev.LeaveGroup(leave) // may be gone with its family
	}
	return t.ev.JoinGroup(join)
}

func (t *NetlinkTransport) recv() (int, error) {
	var n, flags int
	var from unix.Sockaddr
	var rerr error
	err := t.raw.Control(func(fd uintptr) {
		for {
			n, _, flags, from, rerr = unix.Recvmsg(int(fd), t.buf, nil, unix.MSG_DONTWAIT)
			if rerr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return n, t.classify(flags, from, rerr)
}

func (t *NetlinkTransport) classify(flags int, from unix.Sockaddr, err error) error {
	switch {
	case err == unix.EAGAIN:
		return ErrAgain
	case err == unix.ENOBUFS:
		return ErrLost
	case err == unix.ESHUTDOWN:
		return ErrShutdown
	case err != nil:
		return os.NewSyscallError("recvmsg", err)
	case flags&unix.MSG_TRUNC != 0:
		return ErrLost // a datagram cut short is an event lost
	}
	if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
		return ErrForeign
	}
	return nil
}

func (t *NetlinkTransport) Recv(ctx context.Context, block bool) ([]byte, error) {
	if err := t.events(); err != nil {
		return nil, err
	}
	if !block {
		n, err := t.recv()
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), t.buf[:n]...), nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Blocking: wait for readability through the runtime's poller, so
	// that a deadline (set when ctx ends) interrupts the wait.
	var n int
	var rerr error
	done := withCancel(ctx, t.ev.SetReadDeadline)
	err := t.raw.Read(func(fd uintptr) bool {
		var flags int
		var from unix.Sockaddr
		var e error
		n, _, flags, from, e = unix.Recvmsg(int(fd), t.buf, nil, unix.MSG_DONTWAIT)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		rerr = t.classify(flags, from, e)
		return true
	})
	done()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	return append([]byte(nil), t.buf[:n]...), nil
}

func (t *NetlinkTransport) Request(ctx context.Context, fam Family, cmd uint8, dump bool, attrs []byte) ([]Reply, error) {
	req, err := t.request()
	if err != nil {
		return nil, err
	}
	done := withCancel(ctx, req.SetDeadline)
	defer done()
	flags := netlink.Request
	if dump {
		flags |= netlink.Dump
	}
	m := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: FamilyVersion},
		Data:   attrs,
	}
	sent, err := req.Send(m, fam.ID, flags)
	if err != nil {
		return nil, t.reqErr(ctx, err)
	}
	gms, nms, err := req.Receive()
	if err != nil {
		return nil, t.reqErr(ctx, err)
	}
	if err := netlink.Validate(sent, nms); err != nil {
		t.abandon()
		return nil, err
	}
	out := make([]Reply, 0, len(gms))
	for i, gm := range gms {
		if nms[i].Header.Flags&netlink.DumpInterrupted != 0 {
			return nil, ErrDumpInterrupted
		}
		out = append(out, Reply{Cmd: gm.Header.Command, Attrs: gm.Data})
	}
	return out, nil
}

// reqErr turns the kernel's answer into its errno; after any other
// failure (the context's end included) the request socket is abandoned,
// since replies to the request may still come.
func (t *NetlinkTransport) reqErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		t.abandon()
		return ctx.Err()
	}
	var oe *netlink.OpError
	if errors.As(err, &oe) {
		var en syscall.Errno
		if errors.As(oe.Err, &en) {
			return en // the kernel's answer: nothing more is coming
		}
	}
	t.abandon()
	return err
}
