// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"context"
	"errors"
	"time"
)

// judge says whether g (or its device dev, if not empty) is ready.  A
// user's hold counts only when the snapshot is fresh (a reply made just
// now): no event announces it.
func judge(g *Group, dev string, fresh bool) Readiness {
	r := Readiness{GroupID: g.ID, Node: g.Node, InUse: Unknown}
	if fresh {
		r.InUse = g.InUse
	}
	var d *Device
	if dev != "" {
		if d = g.Device(dev); d != nil {
			r.VFIODev = d.VFIODev
		}
	}
	blame := func(reason Reason, d *Device) Readiness {
		r.Reason = reason
		if d != nil {
			r.Device, r.Driver = d.Name, d.Driver
		}
		return r
	}
	if !g.Viable {
		for i := range g.Devices {
			if !g.Devices[i].Viable {
				return blame(ReasonNotViable, &g.Devices[i])
			}
		}
		return blame(ReasonNotViable, nil) // a probe's claim: no device named yet
	}
	if dev != "" && d == nil {
		r.Device = dev // it left the group
		return blame(ReasonNoVFIO, nil)
	}
	if d != nil && !d.VFIO {
		return blame(ReasonNoVFIO, d)
	}
	if !g.Ready {
		if len(g.Devices) > 0 {
			return blame(ReasonNoVFIO, &g.Devices[0])
		}
		return blame(ReasonNoVFIO, nil)
	}
	if r.InUse == True {
		return blame(ReasonInUse, nil)
	}
	r.Ready = true
	return r
}

// Readiness says whether a VMM could open group id now, and if not, what
// is in the way.  It asks the kernel, so InUse is known on kernels that
// report it.
func (c *Client) Readiness(ctx context.Context, id uint32) (Readiness, error) {
	g, err := c.Group(ctx, id)
	if err != nil {
		return Readiness{}, err
	}
	return judge(g, "", true), nil
}

// DeviceReadiness is Readiness for the group of one device, which must
// itself be registered with VFIO.
func (c *Client) DeviceReadiness(ctx context.Context, device string) (Readiness, error) {
	g, err := c.GroupByDevice(ctx, device)
	if err != nil {
		return Readiness{}, err
	}
	return judge(g, device, true), nil
}

// inUseRecheck: nothing announces a user letting go of a group, so a wait
// blocked by one looks again this often.
var inUseRecheck = 100 * time.Millisecond

// WaitReady blocks until the device is ready: its group viable and ready
// by the module's own group-ready, the device registered with VFIO, and no
// other user holding the group (asked of the kernel once the events say
// ready).  It never returns in the gap between unbinding a host driver and
// binding vfio-pci, where the group is viable but nothing can be opened.
// It follows the device across groups, waits for the module if it is not
// loaded, and returns the last answer with ctx's error when ctx ends.
func (c *Client) WaitReady(ctx context.Context, device string) (Readiness, error) {
	return c.wait(ctx, 0, device)
}

// WaitGroupReady is WaitReady for a whole group.
func (c *Client) WaitGroupReady(ctx context.Context, id uint32) (Readiness, error) {
	return c.wait(ctx, id, "")
}

func (c *Client) wait(ctx context.Context, id uint32, dev string) (Readiness, error) {
	t, err := c.dial()
	if err != nil {
		return Readiness{}, err
	}
	defer t.Close()
	f := &Filter{Groups: []uint32{id}}
	if dev != "" {
		f = &Filter{Devices: []string{dev}}
	}
	s := newSession(t, f)
	// Subscribed before the first look: no transition can slip between.
	if err := s.connect(ctx, true); err != nil {
		return Readiness{}, err
	}
	last := Readiness{GroupID: id, Device: dev, Reason: ReasonNoVFIO, InUse: Unknown}
	for {
		s.pending = nil // a wait delivers nothing
		recheck := false
		if s.connected && !s.owed {
			var g *Group
			if dev != "" {
				g = s.cache.findDevice(dev)
			} else {
				g = s.cache[id].g
			}
			if g != nil {
				last = judge(g, dev, false)
			}
			if g != nil && last.Ready {
				// The events say ready; only the kernel knows
				// whether another user holds it.
				fresh, err := getGroup(ctx, t, s.fam, g.ID, "")
				switch {
				case err == nil:
					last = judge(fresh, dev, true)
					if last.Ready {
						return last, nil
					}
					recheck = last.Reason == ReasonInUse
				case ctx.Err() != nil:
					return last, ctx.Err()
				case errors.Is(err, ErrNotFound):
					// gone meanwhile: its event is on the way
				default:
					recheck = true
				}
			}
		}
		sctx, cancel := ctx, context.CancelFunc(func() {})
		if recheck {
			sctx, cancel = context.WithTimeout(ctx, inUseRecheck)
		}
		err := s.step(sctx, true)
		cancel()
		if ctx.Err() != nil {
			return last, ctx.Err()
		}
		if err != nil && sctx.Err() == nil {
			if fatal(err) {
				return last, err
			}
			s.owed = true
			select {
			case <-time.After(retryDelay):
			case <-ctx.Done():
				return last, ctx.Err()
			}
		}
	}
}
