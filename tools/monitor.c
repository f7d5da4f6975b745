/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup monitor: events as records, filtered, optionally after a
 * snapshot of the current state, until interrupted, --count records or
 * --timeout.
 *
 * The snapshot is list-then-watch: subscribed first, then read from the
 * cache that the subscription keeps, so that every event not yet
 * dispatched is newer than the snapshot and none falls between the two.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "parse.h"
#include "resolve.h"
#include "record.h"

struct monitor {
	struct mon_filter filter;
	struct record_style style;
	bool snapshot;
	bool timestamp;
	unsigned long count;		/* 0: no limit */
	int timeout_ms;			/* -1: none */
	unsigned long printed;
	uint64_t newest_seq;		/* what a notice's record carries */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool done(const struct monitor *m)
{
	return m->count && m->printed >= m->count;
}

static void emit(struct monitor *m, struct mon_record *r)
{
	struct timespec now;
	FILE *out;

	if (r->seq > m->newest_seq && r->type != REC_NOTICE)
		m->newest_seq = r->seq;
	if (done(m) || !filter_match(&m->filter, r))
		return;
	if (m->timestamp) {
		clock_gettime(CLOCK_REALTIME, &now);
		r->stamp = &now;
	}
	out = out_begin();
	print_record(out, r, &m->style);
	out_end(out);
	m->printed++;
}

static void on_event(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	struct monitor *m = userdata;
	struct mon_record r;

	(void)sub;
	record_from_event(&r, ev, m->newest_seq);
	emit(m, &r);
}

/* One record per device of every group, from the subscribed cache. */
static int print_snapshot(struct monitor *m)
{
	uint32_t *ids;
	int n = vfiogroup_group_ids(cli_ctx, &ids);

	if (n < 0)
		return n;
	for (int i = 0; i < n && !done(m); i++) {
		struct vfiogroup_group *g;

		if (vfiogroup_get_group(cli_ctx, ids[i], &g))
			continue;	/* gone since the listing */
		for (size_t d = 0; d < vfiogroup_group_device_count(g); d++) {
			struct mon_record r;

			record_from_device(&r, g, d);
			emit(m, &r);
		}
		vfiogroup_group_unref(g);
	}
	free(ids);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until a signal, the count, or the deadline: 0, -ETIMEDOUT or an error. */
static int follow(struct monitor *m)
{
	int64_t deadline = now_ms() + m->timeout_ms;

	while (!stop && !done(m)) {
		struct pollfd pfd = { .fd = vfiogroup_get_fd(cli_ctx),
				      .events = POLLIN };
		int left = -1, n = 0;

		if (m->timeout_ms >= 0) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0)
				return -ETIMEDOUT;
			left = rem > INT32_MAX ? INT32_MAX : (int)rem;
		}
		if (poll(&pfd, 1, left) < 0)
			continue;	/* EINTR: look at stop */
		while (!done(m) && (n = vfiogroup_dispatch(cli_ctx)) > 0)
			;
		if (!done(m) && n < 0)
			return n;
	}
	return 0;
}

static int parse_args(struct monitor *m, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "state", required_argument, NULL, 's' },
		{ "snapshot", no_argument, NULL, 'S' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	char dev[DEV_NAME_MAX];
	unsigned bit;
	uint32_t id;
	int c;

	optind = 0;	/* 0: glibc fully resets its permutation state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":g:d:D:s:Stc:T:", opts,
				NULL)) != -1) {
		switch (c) {
		case 'g':
			if (!parse_group(optarg, &id))
				return cli_usage_error("monitor: bad group '%s'", optarg);
			if (filter_add_group(&m->filter, id))
				return cli_usage_error("monitor: more than %d --group", FILTER_MAX);
			break;
		case 'd':
			if (!device_arg(optarg, dev, sizeof(dev)))
				return cli_usage_error("monitor: bad device '%s' (a name of 1-63 bytes)", optarg);
			if (filter_add_device(&m->filter, dev))
				return cli_usage_error("monitor: more than %d --device", FILTER_MAX);
			break;
		case 'D':
			if (filter_add_driver(&m->filter, optarg))
				return cli_usage_error("monitor: bad driver '%s' (a name of 1-63 bytes, at most %d of them)",
						       optarg, FILTER_MAX);
			break;
		case 's':
			if (!parse_state(optarg, &bit))
				return cli_usage_error("monitor: bad state '%s' (viable, not-viable, ready, not-ready)", optarg);
			m->filter.states |= bit;
			break;
		case 'S':
			m->snapshot = true;
			break;
		case 't':
			m->timestamp = true;
			break;
		case 'c':
			if (!parse_count(optarg, &m->count))
				return cli_usage_error("monitor: bad count '%s' (1 or more)", optarg);
			break;
		case 'T':
			if (!parse_seconds(optarg, &m->timeout_ms))
				return cli_usage_error("monitor: bad timeout '%s' (seconds, 0 or more)", optarg);
			break;
		case ':':
			return cli_usage_error("monitor: %s needs a value", argv[optind - 1]);
		default:
			return cli_bad_option("monitor", argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("monitor: unexpected '%s'", argv[optind]);
	return EXIT_OK;
}

/*
 * Only a pure --group filter narrows the subscription (and the kernel
 * filter); the others are applied to each record, so that a device is
 * followed into whatever group it comes back in.
 */
static int subscribe(struct monitor *m, struct vfiogroup_sub **sub)
{
	struct vfiogroup_filter *f = NULL;
	int r = 0;

	if (m->filter.ngroups && !m->filter.ndevices && !m->filter.ndrivers) {
		r = vfiogroup_filter_new(&f);
		for (size_t i = 0; !r && i < m->filter.ngroups; i++)
			r = vfiogroup_filter_add_group(f, m->filter.group[i]);
	}
	if (!r)
		r = vfiogroup_subscribe(cli_ctx, f, VFIOGROUP_EVMASK_ALL,
					on_event, m, sub);
	vfiogroup_filter_free(f);
	return r;
}

int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor m = { .timeout_ms = -1 };
	struct vfiogroup_sub *sub;
	int r;

	if ((r = parse_args(&m, argc, argv)))
		return r;
	m.style.json = cli.json != JSON_OFF;
	m.style.color = !m.style.json &&
			color_wanted(cli.color, isatty(STDOUT_FILENO),
				     getenv("NO_COLOR"));
	if ((r = cli_connect()))
		return r;
	r = subscribe(&m, &sub);
	if (r)
		return cli_fail("monitor", r);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (m.snapshot)
		r = print_snapshot(&m);
	if (!r)
		r = follow(&m);
	vfiogroup_unsubscribe(sub);
	/* --timeout alone ends a monitor as udevadm's does: not an error. */
	if (r == -ETIMEDOUT && !m.count)
		return EXIT_OK;
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "vfiogroup: monitor: %lu of %lu records before the timeout\n",
			m.printed, m.count);
		return EXIT_TIMEOUT;
	}
	return r ? cli_fail("monitor", r) : EXIT_OK;
}
