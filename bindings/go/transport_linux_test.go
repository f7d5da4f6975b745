// SPDX-License-Identifier: LGPL-2.1-or-later

//go:build linux

package vfiogroup

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The real transport against this machine's kernel, without the module
// being needed (nothing is loaded or changed): nlctrl, family resolution,
// an empty event socket, a sender other than the kernel refused.
func TestNetlinkTransport(t *testing.T) {
	tr, err := DialNetlink()
	if err != nil {
		t.Skipf("no generic netlink here: %v", err)
	}
	defer tr.Close()
	nt := tr.(*NetlinkTransport)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.WatchControl(); err != nil {
		t.Fatalf("joining nlctrl's notify: %v", err)
	}
	fam, err := tr.Resolve(ctx)
	switch {
	case errors.Is(err, ErrNoModule):
		t.Log("the vfiogroup module is not loaded here")
	case err != nil:
		t.Fatal(err)
	default:
		t.Logf("vfiogroup family %+v", fam)
		if err := tr.Join(0, fam.EventsGroup); err != nil {
			t.Fatal(err)
		}
		in, err := getInfo(ctx, tr, fam)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dump(ctx, tr, fam); err != nil {
			t.Fatal(err)
		}
		t.Logf("info %+v", in)
	}
	// A family that is not there answers ENOENT through the kernel.
	if _, err := tr.Request(ctx, Family{ID: 0xfff0}, cmdInfoGet, false, nil); !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("request to no family: %v", err)
	}

	// A request abandoned with its context leaves no reply behind for the
	// next one.
	gone, cancelGone := context.WithCancel(ctx)
	cancelGone()
	if _, err := tr.Request(gone, Family{ID: 0xfff0}, cmdInfoGet, false, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("request with a cancelled context: %v", err)
	}
	if _, err := tr.Request(ctx, Family{ID: 0xfff0}, cmdInfoGet, false, nil); !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("request after an abandoned one: %v", err)
	}

	// Empty (unless nlctrl news happen to arrive): EAGAIN, never a block.
	for i := 0; i < 100; i++ {
		if _, err = tr.Recv(ctx, false); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrAgain) {
		t.Fatalf("non-blocking read of an empty socket: %v", err)
	}
	// A blocking read ends with its context.
	short, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	for {
		if _, err = tr.Recv(short, true); err != nil {
			break
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocking read past its deadline: %v", err)
	}

	// A datagram from another socket (not the kernel) is refused.
	var port uint32
	var serr error
	if err := nt.raw.Control(func(fd uintptr) {
		sa, e := unix.Getsockname(int(fd))
		serr = e
		if nl, ok := sa.(*unix.SockaddrNetlink); ok {
			port = nl.Pid
		}
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(s)
	msg := nlMessage(fam.ID, cmdEventNtf, encodeGroup(sampleGroup(), &fakeEvent{kind: 1, seq: 1, dev: "x"}, false))
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
		t.Skipf("cannot send to our own socket here: %v", err)
	}
	for {
		_, err = tr.Recv(ctx, true)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, ErrForeign) {
		t.Fatalf("datagram from port != 0: %v", err)
	}
}

// ReadBuffer reaches the event socket's SO_RCVBUF (the kernel doubles it),
// and Watch refuses it on a transport that cannot set it.
func TestReadBuffer(t *testing.T) {
	tr, err := DialNetlink()
	if err != nil {
		t.Skipf("no generic netlink here: %v", err)
	}
	defer tr.Close()
	nt := tr.(*NetlinkTransport)
	if err := nt.SetEventReadBuffer(0); err == nil {
		t.Fatal("a read buffer of 0 bytes accepted")
	}
	if err := nt.SetEventReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := tr.WatchControl(); err != nil { // opens the event socket
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := nt.raw.Control(func(fd uintptr) {
		got, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if got < 4096 || got > 2*4096 {
		t.Fatalf("SO_RCVBUF %d after asking for 4096", got)
	}

	// The fake kernel's transport has no read buffer: Watch says so.
	c := NewClient(func() (Transport, error) { return noBuffer{}, nil })
	if _, err := c.Watch(context.Background(), Filter{}, ReadBuffer(4096)); err == nil {
		t.Fatal("ReadBuffer accepted by a transport that cannot set it")
	}
}

type noBuffer struct{ Transport }

func (noBuffer) Close() error { return nil }
