// SPDX-License-Identifier: LGPL-2.1-or-later

package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"

	vfiogroup "vfiogroup/bindings/go"
)

// record prints the module's raw messages, for the package's unit tests
// (bindings/go/testdata): the dump and the info-get replies, then the
// notifications of unbind, bind vfio-pci, unbind, bind back on dev.  One
// line per netlink message: "# rec: KIND HEX", KIND dump, info or event;
// "# rec-sysfs: ..." lines say what sysfs showed, "# rec-step: NAME" where
// each step begins.  Every read has a deadline.

// Genetlink command numbers (include/uapi/linux/vfiogroup.h).
const (
	recCmdGroupGet = 1
	recCmdInfoGet  = 2
	recQuiet       = 700 * time.Millisecond // no event for that long: the step is over
)

var recOrder binary.ByteOrder = binary.LittleEndian

func init() {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 0 {
		recOrder = binary.BigEndian
	}
}

// nlSock is a raw NETLINK_GENERIC socket with a receive timeout.
type nlSock struct {
	fd  int
	buf []byte
}

func openSock() (*nlSock, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &nlSock{fd: fd, buf: make([]byte, 64<<10)}, nil
}

// recv returns the next datagram within d, or nil on timeout.
func (s *nlSock) recv(d time.Duration) ([]byte, error) {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if err := unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	for {
		n, _, _, _, err := unix.Recvmsg(s.fd, s.buf, nil, 0)
		switch err {
		case nil:
			return append([]byte(nil), s.buf[:n]...), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return nil, nil
		}
		return nil, err
	}
}

// messages cuts a datagram into whole netlink messages.
func messages(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(recOrder.Uint32(b[0:4]))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return out, fmt.Errorf("message length %d, %d bytes left", l, len(b))
		}
		out = append(out, b[:l])
		step := (l + 3) &^ 3
		if step > len(b) {
			step = len(b)
		}
		b = b[step:]
	}
	return out, nil
}

// request sends cmd (a dump when dump) and prints every reply message as
// KIND; it returns at the dump's NLMSG_DONE or the do's reply.
func (s *nlSock) request(fam uint16, cmd uint8, dump bool, kind string, seq uint32) error {
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	if dump {
		flags = unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	}
	m := make([]byte, unix.NLMSG_HDRLEN+4)
	recOrder.PutUint32(m[0:4], uint32(len(m)))
	recOrder.PutUint16(m[4:6], fam)
	recOrder.PutUint16(m[6:8], flags)
	recOrder.PutUint32(m[8:12], seq)
	m[16], m[17] = cmd, vfiogroup.FamilyVersion
	if err := unix.Sendto(s.fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		b, err := s.recv(time.Until(end))
		if err != nil {
			return err
		}
		ms, err := messages(b)
		if err != nil {
			return err
		}
		for _, msg := range ms {
			typ := recOrder.Uint16(msg[4:6])
			switch typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(msg) >= unix.NLMSG_HDRLEN+4 {
					if e := int32(recOrder.Uint32(msg[16:20])); e != 0 {
						return fmt.Errorf("%s: kernel error %d", kind, e)
					}
				}
				return nil // the ack after the do's reply
			case fam:
				fmt.Printf("# rec: %s %s\n", kind, hex.EncodeToString(msg))
			}
		}
	}
	return fmt.Errorf("%s: no end of the reply in %v", kind, deadline)
}

// events prints the notifications until none came for recQuiet.
func (s *nlSock) events(fam uint16) (int, error) {
	n := 0
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		b, err := s.recv(recQuiet)
		if err != nil {
			return n, err
		}
		if b == nil {
			return n, nil
		}
		ms, err := messages(b)
		if err != nil {
			return n, err
		}
		for _, msg := range ms {
			if recOrder.Uint16(msg[4:6]) == fam {
				fmt.Printf("# rec: event %s\n", hex.EncodeToString(msg))
				n++
			}
		}
	}
	return n, nil
}

func recordAll(bdf string) {
	p := filepath.Join(pciDevices, bdf)
	orig := driverOf(p)
	grp, err := groupOf(bdf)
	result(err == nil && orig != "", "record: %s has a group and a driver (group %d, driver %q, %v)", bdf, grp, orig, err)
	if err != nil || orig == "" {
		return
	}
	c, err := genetlink.Dial(nil)
	if err != nil {
		result(false, "record: genetlink socket: %v", err)
		return
	}
	_ = c.SetDeadline(time.Now().Add(deadline))
	f, err := c.GetFamily(vfiogroup.FamilyName)
	c.Close()
	var mcgrp uint32
	for _, g := range f.Groups {
		if g.Name == vfiogroup.McgrpEvents {
			mcgrp = g.ID
		}
	}
	result(err == nil && mcgrp != 0, "record: family %s resolved (id %d, events group %d, %v)", vfiogroup.FamilyName, f.ID, mcgrp, err)
	if err != nil || mcgrp == 0 {
		return
	}
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	ver, _ := os.ReadFile("/sys/module/vfiogroup/version")
	fmt.Printf("# rec-sysfs: kernel %s module %s\n", trim(rel), trim(ver))
	fmt.Printf("# rec-sysfs: dev %s group %d driver %s\n", bdf, grp, orig)
	if sys, err := walk(); err == nil {
		for _, id := range ids(sys) {
			fmt.Printf("# rec-sysfs: group %d %s\n", id, sysDevs(sys[id]))
		}
	}

	ev, err := openSock()
	if err != nil {
		result(false, "record: event socket: %v", err)
		return
	}
	defer unix.Close(ev.fd)
	if err := unix.SetsockoptInt(ev.fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(mcgrp)); err != nil {
		result(false, "record: join events: %v", err)
		return
	}
	req, err := openSock()
	if err != nil {
		result(false, "record: request socket: %v", err)
		return
	}
	defer unix.Close(req.fd)
	fmt.Printf("# rec-step: dump\n")
	err = req.request(f.ID, recCmdGroupGet, true, "dump", 1)
	result(err == nil, "record: group dump (%v)", err)
	fmt.Printf("# rec-step: info\n")
	err = req.request(f.ID, recCmdInfoGet, false, "info", 2)
	result(err == nil, "record: info-get (%v)", err)
	// Anything before the steps (none expected) is recorded too.
	fmt.Printf("# rec-step: before\n")
	if _, err := ev.events(f.ID); err != nil {
		result(false, "record: events before the steps: %v", err)
	}

	steps := []struct {
		name string
		do   func() error
		drv  string
	}{
		{"unbind", func() error { return unbind(bdf) }, ""},
		{"bind vfio-pci", func() error { return bind(bdf, "vfio-pci") }, "vfio-pci"},
		{"unbind", func() error { return unbind(bdf) }, ""},
		{"bind " + orig, func() error { return bind(bdf, orig) }, orig},
	}
	for _, st := range steps {
		fmt.Printf("# rec-step: %s\n", st.name)
		err := st.do()
		n, rerr := ev.events(f.ID)
		drv := driverOf(p)
		fmt.Printf("# rec-sysfs: after %s: dev %s driver %s vfio %v\n", st.name, bdf, dash(drv), devVFIO(p, drv))
		result(err == nil && rerr == nil && drv == st.drv && n > 0, "record: %s %s: %d events (%v, %v)", st.name, bdf, n, err, rerr)
	}
}

func trim(b []byte) string {
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "-"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
