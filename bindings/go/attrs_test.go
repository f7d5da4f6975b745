// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// uapiHeader is include/uapi/linux/vfiogroup.h of this source tree,
// generated from the YNL spec by ynl-gen-c.
const uapiHeader = "../../include/uapi/linux/vfiogroup.h"

// parseUAPI returns every enumerator and integer #define of the header.
func parseUAPI(t *testing.T) (map[string]int64, map[string]string) {
	src, err := os.ReadFile(uapiHeader)
	if err != nil {
		t.Fatalf("reading the generated header: %v", err)
	}
	text := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(src), "")
	vals := map[string]int64{}
	strs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define[ \t]+(\w+)[ \t]+(.+)$`).FindAllStringSubmatch(text, -1) {
		v := strings.TrimSpace(m[2])
		if n, err := strconv.ParseInt(v, 0, 64); err == nil {
			vals[m[1]] = n
		} else if strings.HasPrefix(v, `"`) {
			strs[m[1]] = strings.Trim(v, `"`)
		}
	}
	for _, m := range regexp.MustCompile(`(?s)enum\s+\w+\s*\{(.*?)\}`).FindAllStringSubmatch(text, -1) {
		next := int64(0)
		for _, item := range strings.Split(m[1], ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			name, val := item, ""
			if i := strings.Index(item, "="); i >= 0 {
				name, val = strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
			}
			if val != "" {
				n, err := strconv.ParseInt(val, 0, 64)
				if err != nil {
					// "(__X_MAX - 1)"
					mm := regexp.MustCompile(`^\(\s*(\w+)\s*-\s*1\s*\)$`).FindStringSubmatch(val)
					if mm == nil {
						t.Fatalf("%s = %s: cannot evaluate", name, val)
					}
					prev, ok := vals[mm[1]]
					if !ok {
						t.Fatalf("%s = %s: %s unknown", name, val, mm[1])
					}
					n = prev - 1
				}
				next = n
			}
			vals[name] = next
			next++
		}
	}
	return vals, strs
}

func TestConstantsMatchUAPIHeader(t *testing.T) {
	vals, strs := parseUAPI(t)
	want := map[string]int64{
		"VFIOGROUP_FAMILY_VERSION": FamilyVersion,
		"VFIOGROUP_NAME_MAX":       NameMax,

		"VFIOGROUP_CMD_GROUP_GET": cmdGroupGet,
		"VFIOGROUP_CMD_INFO_GET":  cmdInfoGet,
		"VFIOGROUP_CMD_EVENT_NTF": cmdEventNtf,
		"VFIOGROUP_CMD_MAX":       cmdEventNtf,

		"VFIOGROUP_EVENT_DEVICE_ADDED":      eventDeviceAdded,
		"VFIOGROUP_EVENT_DEVICE_REMOVED":    eventDeviceRemoved,
		"VFIOGROUP_EVENT_DRIVER_BOUND":      eventDriverBound,
		"VFIOGROUP_EVENT_DRIVER_UNBOUND":    eventDriverUnbound,
		"VFIOGROUP_EVENT_VIABILITY_CHANGED": eventViabilityChanged,
		"VFIOGROUP_EVENT_READY_CHANGED":     eventReadyChanged,
		"VFIOGROUP_EVENT_MAX":               eventReadyChanged,

		"VFIOGROUP_NOTIFIER_IOMMU_GROUP": NotifierIOMMUGroup,
		"VFIOGROUP_NOTIFIER_BUS":         NotifierBus,
		"VFIOGROUP_NOTIFIER_MAX":         NotifierBus,

		"VFIOGROUP_A_PAD":            attrPad,
		"VFIOGROUP_A_GROUP_ID":       attrGroupID,
		"VFIOGROUP_A_GROUP_VIABLE":   attrGroupViable,
		"VFIOGROUP_A_GROUP_SEQ":      attrGroupSeq,
		"VFIOGROUP_A_GROUP_DEVICE":   attrGroupDevice,
		"VFIOGROUP_A_GROUP_DEV_NAME": attrGroupDevName,
		"VFIOGROUP_A_GROUP_EVENT":    attrGroupEvent,
		"VFIOGROUP_A_GROUP_READY":    attrGroupReady,
		"VFIOGROUP_A_GROUP_IN_USE":   attrGroupInUse,
		"VFIOGROUP_A_MAX":            attrGroupInUse,

		"VFIOGROUP_A_INFO_PAD":      attrInfoPad,
		"VFIOGROUP_A_INFO_SEQ":      attrInfoSeq,
		"VFIOGROUP_A_INFO_DROPPED":  attrInfoDropped,
		"VFIOGROUP_A_INFO_NOTIFIER": attrInfoNotifier,
		"VFIOGROUP_A_INFO_GROUPS":   attrInfoGroups,
		"VFIOGROUP_A_INFO_VERSION":  attrInfoVersion,
		"VFIOGROUP_A_INFO_EVENTS":   attrInfoEvents,
		"VFIOGROUP_A_INFO_MAX":      attrInfoEvents,

		"VFIOGROUP_A_DEV_NAME":     attrDevName,
		"VFIOGROUP_A_DEV_BUS":      attrDevBus,
		"VFIOGROUP_A_DEV_DRIVER":   attrDevDriver,
		"VFIOGROUP_A_DEV_VIABLE":   attrDevViable,
		"VFIOGROUP_A_DEV_VENDOR":   attrDevVendor,
		"VFIOGROUP_A_DEV_DEVICE":   attrDevDevice,
		"VFIOGROUP_A_DEV_VFIO":     attrDevVFIO,
		"VFIOGROUP_A_DEV_VFIO_DEV": attrDevVFIODev,
		"VFIOGROUP_A_DEV_MAX":      attrDevVFIODev,

		"VFIOGROUP_A_EVENT_PAD":      attrEventPad,
		"VFIOGROUP_A_EVENT_KIND":     attrEventKind,
		"VFIOGROUP_A_EVENT_SEQ":      attrEventSeq,
		"VFIOGROUP_A_EVENT_TIME_NS":  attrEventTimeNS,
		"VFIOGROUP_A_EVENT_DEV_NAME": attrEventDevName,
		"VFIOGROUP_A_EVENT_DRIVER":   attrEventDriver,
		"VFIOGROUP_A_EVENT_MAX":      attrEventDriver,
	}
	for name, v := range want {
		got, ok := vals[name]
		if !ok {
			t.Errorf("%s: not in %s", name, uapiHeader)
		} else if got != v {
			t.Errorf("%s: header says %d, the Go package %d", name, got, v)
		}
	}
	// Every enumerator of the header must be known here: a new one is a
	// protocol change the package has not taken in.
	for name := range vals {
		if _, ok := want[name]; !ok && !strings.HasPrefix(name, "__") &&
			!strings.HasSuffix(name, "_UNSPEC") && name != "_UAPI_LINUX_VFIOGROUP_H" {
			t.Errorf("%s: in the header, unknown to the Go package", name)
		}
	}
	for name, v := range map[string]string{
		"VFIOGROUP_FAMILY_NAME":  FamilyName,
		"VFIOGROUP_MCGRP_EVENTS": McgrpEvents,
	} {
		if strs[name] != v {
			t.Errorf("%s: header says %q, the Go package %q", name, strs[name], v)
		}
	}
}
