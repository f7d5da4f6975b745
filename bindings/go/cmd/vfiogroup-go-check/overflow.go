// SPDX-License-Identifier: LGPL-2.1-or-later

package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vfiogroup "vfiogroup/bindings/go"
)

// checkOverflow: a consumer that stops reading (a channel of one event, a
// 4 KiB socket buffer) while dev is unbound and bound toggles times; then
// it reads again: the loss must be reported (Resync, Stats.Lost), what
// follows be consistent, and the cache end equal to sysfs.
func checkOverflow(dev string, toggles int) {
	drv, ok := origDriver(dev)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var stats vfiogroup.Stats
	w := start(ctx, "overflow", vfiogroup.Buffer(1), vfiogroup.ReadBuffer(4096),
		vfiogroup.StatsFunc(func(s vfiogroup.Stats) { mu.Lock(); stats = s; mu.Unlock() }))
	if w == nil {
		return
	}

	// The storm, in the background, bounded in time as well.  The
	// consumer stalls for its first half (in toggles or in time), then
	// reads during the rest: events after the resync are live ones.
	var made, errs int32
	done := make(chan struct{})
	t0 := time.Now()
	var took time.Duration
	go func() {
		defer close(done)
		for int(atomic.LoadInt32(&made)) < toggles && time.Since(t0) < 2*deadline {
			e1, e2 := unbind(dev), bind(dev, drv)
			if e1 != nil || e2 != nil {
				if atomic.AddInt32(&errs, 1) == 1 {
					diag("overflow: toggle %d: %v %v", atomic.LoadInt32(&made), e1, e2)
				}
			}
			atomic.AddInt32(&made, 1)
		}
		took = time.Since(t0)
	}()
	stall := time.NewTimer(deadline)
	for int(atomic.LoadInt32(&made)) < (toggles+1)/2 {
		select {
		case <-done:
		case <-stall.C:
		case <-time.After(20 * time.Millisecond):
			continue
		}
		break
	}
	stall.Stop()
	diag("overflow: stalled for %d toggles (%.1f s), reading from now on", atomic.LoadInt32(&made), time.Since(t0).Seconds())

	// Read until the storm is over, a resync came and a second passed
	// without an event, then hold the cache against sysfs.  Every event
	// read (synthesized or not) must be whole and consistent.
	resyncs, events, synth := 0, 0, 0
	problem := ""
	bad := func(format string, args ...interface{}) {
		if problem == "" {
			problem = fmt.Sprintf(format, args...)
		}
	}
	stormDone := false
	end := t0.Add(3 * deadline)
	for {
		until := end
		if stormDone && resyncs > 0 {
			until = time.Now().Add(time.Second)
			if until.After(end) {
				until = end
			}
		}
		var ev vfiogroup.Event
		var ok bool
		if !stormDone {
			// Wake when the storm ends, too.
			select {
			case <-done:
				stormDone = true
				end = time.Now().Add(deadline)
				continue
			default:
			}
			ev, ok = w.next(minTime(until, time.Now().Add(100*time.Millisecond)))
			if !ok && !w.closed && time.Now().Before(end) {
				continue
			}
		} else {
			ev, ok = w.next(until)
		}
		if !ok {
			break
		}
		switch ev.Kind {
		case vfiogroup.Resync:
			resyncs++
			// Sequence numbers are checked again from its baseline.
			w.seqErr, w.nseq = "", 0
			continue
		case vfiogroup.Synced, vfiogroup.Disconnected, vfiogroup.Reconnected, vfiogroup.Failed:
			bad("unexpected %s", describe(ev))
			continue
		}
		events++
		if ev.Synthesized {
			synth++
		}
		g := ev.Group
		d := g.Device(dev)
		switch {
		case g == nil || g.ID != ev.GroupID:
			bad("%s", describe(ev))
		case ev.Kind == vfiogroup.DriverBound && (ev.Device != dev || ev.Driver != drv || d == nil || d.Driver != drv):
			bad("%s", describe(ev))
		case ev.Kind == vfiogroup.DriverUnbound && (ev.Device != dev || ev.Driver != drv || d == nil || d.Driver != ""):
			bad("%s", describe(ev))
		case ev.Kind == vfiogroup.DeviceAdded || ev.Kind == vfiogroup.DeviceRemoved:
			bad("%s", describe(ev))
		}
	}
	select {
	case <-done:
	case <-time.After(deadline):
		result(false, "overflow: the storm did not end (a sysfs write hangs?)")
		return
	}
	result(errs == 0 && (int(made) >= toggles || made >= 10),
		"overflow: %d of %d toggles of %s in %.1f s, %d sysfs errors", made, toggles, dev, took.Seconds(), errs)
	mu.Lock()
	st := stats
	mu.Unlock()
	diag("go overflow: toggles=%d lost=%d resyncs=%d gaps=%d drained=%d synthesized=%d events=%d",
		made, st.Lost, st.Resyncs, st.Gaps, st.Drained, st.Synthesized, events)
	result(resyncs > 0 && (st.Lost > 0 || st.Gaps > 0),
		"overflow: loss reported (%d resync notices, lost %d, gaps %d)", resyncs, st.Lost, st.Gaps)
	result(problem == "", "overflow: the %d events read after the stall (%d synthesized) consistent%s", events, synth, suffix(problem))
	sys, err := walk()
	d := ""
	if err == nil {
		d = diffAll(w.cache, sys)
	}
	result(err == nil && d == "", "overflow: cache == sysfs after the storm%s", suffix(d))
	if w.seqErr != "" {
		result(false, "overflow: seqs after the last resync: %s", w.seqErr)
	} else {
		result(true, "overflow: seqs of the %d events after the last resync grow by one", w.nseq)
	}
}

// checkReload: rmmod under a watch (Disconnected), insmod (Reconnected
// with the list == sysfs), then a change followed as usual.
func checkReload(module, dev string) {
	drv, ok := origDriver(dev)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := start(ctx, "reload", vfiogroup.WaitModule())
	if w == nil {
		return
	}
	run := func(args ...string) bool {
		c, cc := context.WithTimeout(ctx, deadline)
		defer cc()
		out, err := exec.CommandContext(c, args[0], args[1:]...).CombinedOutput()
		if s := strings.TrimSpace(string(out)); s != "" {
			diag("%s: %s", strings.Join(args, " "), s)
		}
		result(err == nil, "reload: %s (%v)", strings.Join(args, " "), err)
		return err == nil
	}
	if !run("rmmod", "vfiogroup") {
		return
	}
	ev, ok := w.nextNotice(time.Now().Add(deadline), vfiogroup.Disconnected)
	result(ok, "reload: Disconnected after rmmod (%s)", describe(ev))
	if !run("insmod", module) {
		return
	}
	ev, ok = w.nextNotice(time.Now().Add(deadline), vfiogroup.Reconnected)
	if ok {
		// A Disconnected and Reconnected pair may follow (README): the
		// last notice of a quiet half second counts.
		for {
			e, more := w.next(time.Now().Add(500 * time.Millisecond))
			if !more {
				break
			}
			diag("  %s", describe(e))
			if e.Kind == vfiogroup.Disconnected || e.Kind == vfiogroup.Reconnected {
				ev = e
			}
			if e.Kind == vfiogroup.Disconnected {
				ev, ok = w.nextNotice(time.Now().Add(deadline), vfiogroup.Reconnected)
				if !ok {
					break
				}
			}
		}
	}
	d := "no Reconnected"
	if ok {
		gs := map[uint32]*vfiogroup.Group{}
		for i := range ev.Groups {
			gs[ev.Groups[i].ID] = &ev.Groups[i]
		}
		sys, err := walk()
		if err != nil {
			d = err.Error()
		} else {
			d = diffAll(gs, sys)
		}
	}
	result(ok && d == "", "reload: Reconnected after insmod, its %d groups == sysfs%s", len(ev.Groups), suffix(d))
	if !ok {
		return
	}
	w.step("reload: unbind "+dev+" from "+drv, dev, func() error { return unbind(dev) })
	w.step("reload: bind "+dev+" to "+drv, dev, func() error { return bind(dev, drv) })
	w.seqResult("reload")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
