// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

// Protocol constants, written by hand from
// Documentation/netlink/specs/vfiogroup.yaml.  TestConstantsMatchUAPIHeader
// compares every one of them with include/uapi/linux/vfiogroup.h (generated
// from the spec by ynl-gen-c), so a change to the spec that is not carried
// over here fails the tests.

const (
	FamilyName    = "vfiogroup"
	FamilyVersion = 1
	McgrpEvents   = "events"
	NameMax       = 64 // longest device or driver name, NUL included
)

// Commands (enum vfiogroup_cmd).
const (
	cmdGroupGet = 1
	cmdInfoGet  = 2
	cmdEventNtf = 3
)

// Event kinds on the wire (enum vfiogroup_event).
const (
	eventDeviceAdded      = 1
	eventDeviceRemoved    = 2
	eventDriverBound      = 3
	eventDriverUnbound    = 4
	eventViabilityChanged = 5
	eventReadyChanged     = 6
)

// Notifier kinds (enum vfiogroup_notifier).
const (
	NotifierIOMMUGroup = 1
	NotifierBus        = 2
)

// Group attribute set (enum vfiogroup_attr).
const (
	attrPad          = 1
	attrGroupID      = 2
	attrGroupViable  = 3
	attrGroupSeq     = 4
	attrGroupDevice  = 5
	attrGroupDevName = 6
	attrGroupEvent   = 7
	attrGroupReady   = 8
	attrGroupInUse   = 9
)

// Info attribute set (enum vfiogroup_info_attr).
const (
	attrInfoPad      = 1
	attrInfoSeq      = 8
	attrInfoDropped  = 9
	attrInfoNotifier = 10
	attrInfoGroups   = 11
	attrInfoVersion  = 12
	attrInfoEvents   = 13
)

// Device attribute set (enum vfiogroup_dev_attr).
const (
	attrDevName    = 1
	attrDevBus     = 2
	attrDevDriver  = 3
	attrDevViable  = 4
	attrDevVendor  = 5
	attrDevDevice  = 6
	attrDevVFIO    = 7
	attrDevVFIODev = 8
)

// Event attribute set (enum vfiogroup_event_attr).
const (
	attrEventPad     = 1
	attrEventKind    = 2
	attrEventSeq     = 3
	attrEventTimeNS  = 4
	attrEventDevName = 5
	attrEventDriver  = 6
)

// Generic netlink controller (linux/genetlink.h) and netlink
// (linux/netlink.h) values the decoder needs.
const (
	genlIDCtrl        = 0x10
	ctrlCmdNewFamily  = 1
	ctrlCmdDelFamily  = 2
	ctrlAttrFamilyID  = 1
	ctrlAttrFamilyNam = 2

	nlmsgNoop    = 1
	nlmsgError   = 2
	nlmsgDone    = 3
	nlmsgOverrun = 4

	nlmsgHdrLen = 16
	genlHdrLen  = 4
	nlaHdrLen   = 4

	nlaTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
)
