// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: the generic netlink family.  One fill function serves replies,
 * dumps and notifications; notifications are built only when somebody
 * listens, and reach only network namespaces owned by the initial user
 * namespace, as uevents do.  No command changes state, so none needs
 * privilege.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rcupdate.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "vfiogroup.h"
/*
 * The request policies, the op table and the multicast groups, as
 * ynl-gen-c makes them of the spec (make spec-gen): compiled here, where
 * the family that uses its static tables is defined.
 */
#include "vfiogroup-nl-gen.c"

static struct genl_family vg_family;

/*
 * As uevents: notifications go only to namespaces owned by the initial
 * user namespace, so that a container cannot watch the host's devices.
 */
static bool vg_net_gets_events(const struct net *net)
{
	return net->user_ns == &init_user_ns;
}

static size_t vg_group_msg_size(const struct vg_group *group)
{
	const size_t dev = nla_total_size(0) +
			   3 * nla_total_size(VFIOGROUP_NAME_MAX) +
			   nla_total_size(sizeof(u8)) +
			   2 * nla_total_size(sizeof(u16));
	const size_t event = nla_total_size(0) +
			     nla_total_size(sizeof(u32)) +
			     2 * nla_total_size_64bit(sizeof(u64)) +
			     2 * nla_total_size(VFIOGROUP_NAME_MAX);
	const struct vg_device *vdev;
	size_t size;

	size = nla_total_size(sizeof(u32)) + nla_total_size(sizeof(u8)) +
	       nla_total_size_64bit(sizeof(u64)) + event;
	list_for_each_entry(vdev, &group->devices, node)
		size += dev;
	return size;
}

/*
 * Names are read where they live, not copied: one longer than the protocol's
 * VFIOGROUP_NAME_MAX (none is, on any bus we follow) is cut to fit it.
 */
static int vg_put_name(struct sk_buff *skb, int attrtype, const char *name)
{
	size_t len = strnlen(name, VFIOGROUP_NAME_MAX - 1);
	struct nlattr *nla;

	nla = nla_reserve(skb, attrtype, len + 1);
	if (!nla)
		return -EMSGSIZE;
	memcpy(nla_data(nla), name, len);
	((char *)nla_data(nla))[len] = '\0';
	return 0;
}

static int vg_fill_device(struct sk_buff *skb, const struct vg_device *vdev)
{
	char vfio_dev[16];
	struct nlattr *nest;

	if (vdev->vfio_index >= 0)
		snprintf(vfio_dev, sizeof(vfio_dev), "vfio%d", vdev->vfio_index);
	nest = nla_nest_start(skb, VFIOGROUP_A_GROUP_DEVICE);
	if (!nest)
		return -EMSGSIZE;
	if (vg_put_name(skb, VFIOGROUP_A_DEV_NAME, dev_name(vdev->dev)) ||
	    vg_put_name(skb, VFIOGROUP_A_DEV_BUS,
			vdev->dev->bus ? vdev->dev->bus->name : "") ||
	    (vdev->driver &&
	     vg_put_name(skb, VFIOGROUP_A_DEV_DRIVER, vdev->driver->name)) ||
	    nla_put_u8(skb, VFIOGROUP_A_DEV_VIABLE, !vg_device_blocks(vdev)) ||
	    (vdev->is_pci &&
	     (nla_put_u16(skb, VFIOGROUP_A_DEV_VENDOR, vdev->vendor) ||
	      nla_put_u16(skb, VFIOGROUP_A_DEV_DEVICE, vdev->device))) ||
	    nla_put_u8(skb, VFIOGROUP_A_DEV_VFIO, vdev->vfio) ||
	    (vdev->vfio_index >= 0 &&
	     nla_put_string(skb, VFIOGROUP_A_DEV_VFIO_DEV, vfio_dev))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vg_fill_event(struct sk_buff *skb, const struct vg_event *ev)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, VFIOGROUP_A_GROUP_EVENT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VFIOGROUP_A_EVENT_KIND, ev->kind) ||
	    nla_put_u64_64bit(skb, VFIOGROUP_A_EVENT_SEQ, ev->seq,
			      VFIOGROUP_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, VFIOGROUP_A_EVENT_TIME_NS, ev->time_ns,
			      VFIOGROUP_A_EVENT_PAD) ||
	    (ev->dev_name &&
	     vg_put_name(skb, VFIOGROUP_A_EVENT_DEV_NAME, ev->dev_name)) ||
	    (ev->driver &&
	     vg_put_name(skb, VFIOGROUP_A_EVENT_DRIVER, ev->driver))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The family's one fill function: a group-get reply or dump entry, or with
 * @ev an event notification carrying the group's state after the event.
 */
static int vg_fill_group(struct sk_buff *skb, const struct vg_group *group,
			 const struct vg_event *ev, u32 portid, u32 seq,
			 int flags, u8 cmd)
{
	const struct vg_device *vdev;
	void *hdr;

	lockdep_assert_held(&vg_lock);
	hdr = genlmsg_put(skb, portid, seq, &vg_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	/*
	 * The group id goes first and the event right after it, as
	 * docs/protocol.md promises: a listener's socket filter reads the id
	 * at a fixed offset and drops or accepts the whole message (a
	 * trimmed one would be trimmed for every listener after it).
	 */
	if (nla_put_u32(skb, VFIOGROUP_A_GROUP_ID, group->id) ||
	    (ev && vg_fill_event(skb, ev)) ||
	    nla_put_u8(skb, VFIOGROUP_A_GROUP_VIABLE, vg_group_viable(group)) ||
	    nla_put_u64_64bit(skb, VFIOGROUP_A_GROUP_SEQ, group->seq,
			      VFIOGROUP_A_PAD) ||
	    nla_put_u8(skb, VFIOGROUP_A_GROUP_READY, vg_group_ready(group)) ||
	    (VG_SEES_IN_USE && !ev &&
	     nla_put_u8(skb, VFIOGROUP_A_GROUP_IN_USE, vg_group_in_use(group))))
		goto cancel;
	list_for_each_entry(vdev, &group->devices, node)
		if (vg_fill_device(skb, vdev))
			goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int vfiogroup_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[VFIOGROUP_A_GROUP_ID];
	struct nlattr *dev_attr = info->attrs[VFIOGROUP_A_GROUP_DEV_NAME];
	struct vg_group *group;
	struct sk_buff *msg;
	int ret;

	if (!id_attr == !dev_attr) {
		NL_SET_ERR_MSG(info->extack,
			       "give exactly one of a group id and a device name");
		return -EINVAL;
	}

	mutex_lock(&vg_lock);
	if (id_attr)
		group = vg_group_by_id(nla_get_u32(id_attr));
	else
		group = vg_group_by_dev_name(nla_data(dev_attr));
	if (!group) {
		if (id_attr)
			NL_SET_ERR_MSG_ATTR(info->extack, id_attr,
					    "no such IOMMU group");
		else
			NL_SET_ERR_MSG_ATTR(info->extack, dev_attr,
					    "no device of that name in any IOMMU group");
		ret = -ENOENT;
		goto unlock;
	}

	msg = genlmsg_new(vg_group_msg_size(group), GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto unlock;
	}
	ret = vg_fill_group(msg, group, NULL, info->snd_portid, info->snd_seq,
			    0, VFIOGROUP_CMD_GROUP_GET);
	mutex_unlock(&vg_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);

unlock:
	mutex_unlock(&vg_lock);
	return ret;
}

/* cb->args[0]: the lowest group id not yet dumped. */
int vfiogroup_nl_group_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	unsigned long next_id = cb->args[0];
	struct vg_group *group;
	int ret = 0;

	mutex_lock(&vg_lock);
	while ((group = vg_group_from(&next_id))) {
		ret = vg_fill_group(skb, group, NULL,
				    NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI,
				    VFIOGROUP_CMD_GROUP_GET);
		if (ret)
			break;
		next_id = group->id + 1UL;
	}
	mutex_unlock(&vg_lock);

	cb->args[0] = next_id;
	/* A group too large for an empty dump message cannot be sent. */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

int vfiogroup_nl_info_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(2 * nla_total_size_64bit(sizeof(u64)) +
			  2 * nla_total_size(sizeof(u32)) +
			  nla_total_size(sizeof(u8)) +
			  nla_total_size(sizeof(VFIOGROUP_VERSION)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq, &vg_family, 0,
			  VFIOGROUP_CMD_INFO_GET);
	if (!hdr)
		goto nospace;

	mutex_lock(&vg_lock);
	if (nla_put_u64_64bit(msg, VFIOGROUP_A_INFO_SEQ, vg_last_seq(),
			      VFIOGROUP_A_INFO_PAD) ||
	    nla_put_u64_64bit(msg, VFIOGROUP_A_INFO_DROPPED, vg_dropped(),
			      VFIOGROUP_A_INFO_PAD) ||
	    nla_put_u32(msg, VFIOGROUP_A_INFO_GROUPS, vg_group_count())) {
		mutex_unlock(&vg_lock);
		goto nospace;
	}
	mutex_unlock(&vg_lock);
	if (nla_put_u32(msg, VFIOGROUP_A_INFO_NOTIFIER, VG_NOTIFIER_PATH) ||
	    nla_put_string(msg, VFIOGROUP_A_INFO_VERSION, VFIOGROUP_VERSION) ||
	    nla_put_u8(msg, VFIOGROUP_A_INFO_EVENTS,
		       vg_net_gets_events(genl_info_net(info))))
		goto nospace;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * resv_start_op stays 0 where it exists: every command is new, so the core
 * rejects a non-zero reserved header field, and a request attribute its
 * operation's policy does not list.
 */
static struct genl_family vg_family __ro_after_init = {
	.name = VFIOGROUP_FAMILY_NAME,
	.version = VFIOGROUP_FAMILY_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	/* the op table: vg_genl_ops_init() (genl_compat.c) */
	.mcgrps = vfiogroup_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vfiogroup_nl_mcgrps),
};

/*
 * Set under vg_lock once the family is registered, which happens only after
 * the devices present at load were enumerated: a listener that resyncs
 * when the family appears must find the whole state in its first dump.
 */
static bool vg_nl_ready;

static bool vg_net_listens(struct net *net)
{
	return vg_net_gets_events(net) &&
	       genl_has_listeners(&vg_family, net, VFIOGROUP_NLGRP_EVENTS);
}

/*
 * Notifications built under vg_lock, in sequence order, waiting for
 * vg_deliver_work to send them: building them under the lock makes each
 * carry the state right after its own event; sending them from a work item
 * keeps the bind or unbind that made them, and every other group's, from
 * waiting for the listeners (each subscribed socket costs a filter run and
 * a clone).  A work item never runs on two CPUs at once, even on an unbound
 * workqueue, so they go out in the order they were queued.
 */
static struct sk_buff_head vg_pending = {
	/* Empty from the start: vg_nl_deliver() runs before vg_nl_init(). */
	.next = (struct sk_buff *)&vg_pending,
	.prev = (struct sk_buff *)&vg_pending,
	.lock = __SPIN_LOCK_UNLOCKED(vg_pending.lock),
};

/**
 * vg_nl_notify() - queue an event for every namespace that may see it
 * @group: the group, in its state right after the event
 * @ev: the event
 *
 * vg_nl_deliver() sends it once vg_lock is released.
 *
 * Return: 0 when queued or when nobody listens, -ENOMEM or -EMSGSIZE when
 * the event could not be described.
 */
int vg_nl_notify(const struct vg_group *group, const struct vg_event *ev)
{
	bool listening = false;
	struct sk_buff *skb;
	struct net *net;
	int ret;

	lockdep_assert_held(&vg_lock);
	if (!vg_nl_ready)
		return 0;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (vg_net_listens(net)) {
			listening = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!listening)
		return 0;

	skb = genlmsg_new(vg_group_msg_size(group), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	ret = vg_fill_group(skb, group, ev, 0, 0, 0, VFIOGROUP_CMD_EVENT_NTF);
	if (ret) {
		nlmsg_free(skb);
		return ret;
	}
	skb_queue_tail(&vg_pending, skb);
	return 0;
}

static void vg_multicast(struct sk_buff *skb)
{
	struct sk_buff *clone;
	bool lost = false;
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (!vg_net_listens(net))
			continue;
		clone = skb_clone(skb, GFP_ATOMIC);
		if (!clone) {
			lost = true;
			continue;
		}
		genlmsg_multicast_netns(&vg_family, net, clone, 0,
					VFIOGROUP_NLGRP_EVENTS, GFP_ATOMIC);
	}
	rcu_read_unlock();
	consume_skb(skb);
	if (lost)
		vg_note_loss();
}

/* A queued notification's group: its first attribute, as filters read it. */
static u32 vg_skb_group(const struct sk_buff *skb)
{
	const struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(skb));

	return nla_get_u32((const struct nlattr *)genlmsg_data(gnlh));
}

/*
 * The next notification together with those of the same group queued
 * right behind it, as one datagram: a transition makes two or three
 * (driver bound, then ready changed), and netlink_broadcast() visits every
 * subscribed socket once per datagram, the idle ones too.  Only one
 * group's: a listener's socket filter reads the first message's group
 * and keeps or drops the datagram whole.  Only this work item dequeues, so
 * a message taken back goes to the head without changing the order.
 */
static struct sk_buff *vg_next_datagram(void)
{
	struct sk_buff *skb, *next;
	unsigned long flags;
	int room;
	u32 group;

	skb = skb_dequeue(&vg_pending);
	if (!skb)
		return NULL;
	group = vg_skb_group(skb);
	for (;;) {
		spin_lock_irqsave(&vg_pending.lock, flags);
		next = skb_peek(&vg_pending);
		if (next && (vg_skb_group(next) != group ||
			     skb->len + next->len > NLMSG_GOODSIZE))
			next = NULL;
		if (next)
			__skb_unlink(next, &vg_pending);
		spin_unlock_irqrestore(&vg_pending.lock, flags);
		if (!next)
			break;

		room = skb_tailroom(skb);
		if (room < next->len &&
		    pskb_expand_head(skb, 0, next->len - room, GFP_KERNEL)) {
			skb_queue_head(&vg_pending, next);
			break;
		}
		skb_put_data(skb, next->data, next->len);
		consume_skb(next);
	}
	return skb;
}

static void vg_deliver(struct work_struct *work)
{
	struct sk_buff *skb;

	while ((skb = vg_next_datagram()))
		vg_multicast(skb);
}

static DECLARE_WORK(vg_deliver_work, vg_deliver);

/**
 * vg_nl_deliver() - have the queued notifications sent, in order
 *
 * Called after releasing vg_lock by whoever may have queued one.
 */
void vg_nl_deliver(void)
{
	/*
	 * Unbound: a per-CPU worker would run on the CPU of the bind that
	 * queued it and take turns with it; any idle CPU may send instead.
	 */
	if (!skb_queue_empty_lockless(&vg_pending))
		queue_work(system_unbound_wq, &vg_deliver_work);
}

/**
 * vg_nl_set_err() - report @err on the events group of every namespace
 * @err: positive errno: ENOBUFS for an event lost, ESHUTDOWN at unload
 *
 * A listener's next recv() fails with -@err, as if its own socket had
 * overrun: ENOBUFS is the one signal that events were lost, whoever lost
 * them, so a listener whose socket filter hides other groups' sequence
 * numbers still learns of the loss.  Safe under vg_lock (no sleeping).
 */
void vg_nl_set_err(int err)
{
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net)
		if (net->genl_sock)
			/* netlink_set_err() wants it negative, as returned. */
			netlink_set_err(net->genl_sock, 0,
					vg_family.mcgrp_offset +
					VFIOGROUP_NLGRP_EVENTS, -err);
	rcu_read_unlock();
}

/* An event could not be sent: make every listener resynchronise. */
void vg_nl_lost(void)
{
	if (READ_ONCE(vg_nl_ready))
		vg_nl_set_err(ENOBUFS);
}

int vg_nl_init(void)
{
	int ret;

	ret = vg_genl_ops_init(&vg_family);
	if (!ret)
		ret = genl_register_family(&vg_family);
	if (ret)
		return ret;
	mutex_lock(&vg_lock);
	WRITE_ONCE(vg_nl_ready, true);
	mutex_unlock(&vg_lock);
	return 0;
}

void vg_nl_exit(void)
{
	mutex_lock(&vg_lock);
	WRITE_ONCE(vg_nl_ready, false);
	mutex_unlock(&vg_lock);
	/*
	 * The buses let go of us already, so nothing is queued any more: what
	 * was is sent before the family goes.
	 */
	flush_work(&vg_deliver_work);

	/*
	 * Unregistering silently drops every subscription: a listener
	 * blocked in recv() would wait forever.  Wake it with an error.
	 */
	vg_nl_set_err(ESHUTDOWN);
	genl_unregister_family(&vg_family);
}
