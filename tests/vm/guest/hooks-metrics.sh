# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "hooks-metrics", sourced by run-tests.sh: vfiogroup-hooks
# --textfile read by Debian's node_exporter (payload:
# tests/vm/node-exporter-payload.sh, in /payload/node-exporter) with only
# its textfile collector, served on 127.0.0.1:9100 and scraped with
# vghttp.  The scrape must hold what sysfs says of every group (viable and
# ready by the rule, device counts), and after the e1000 $E goes to
# vfio-pci and back, the new states and event counters that grew by
# exactly the events the changes make (helpers-transition.sh's words);
# "vfiogroup metrics" renders the same group lines.  Barrier: the
# scrape's vfiogroup_last_event_seq reaching the module's seq.

NEP=9100
# hm_scrape FILE: node_exporter's page into FILE
hm_scrape() { "$VGHTTP" "$NEP" /metrics >"$1" 2>"$T/hm.http.err"; }
hm_up() { hm_scrape "$T/hm.page" && grep -q '^vfiogroup_up 1$' "$T/hm.page"; }
# hm_val FILE METRIC[{LABELS}]: the sample's value ("" if absent)
hm_val() { grep -F "$2 " "$1" | grep -v '^#' | sed -n "s/^[^ ]* //p" | head -n 1; }
# hm_seq_reached SEQ: a fresh scrape shows the daemon past SEQ
hm_seq_reached() {
	hm_scrape "$T/hm.page" || return 1
	_v=$(hm_val "$T/hm.page" vfiogroup_last_event_seq)
	[ -n "$_v" ] && [ "$_v" -ge "$1" ]
}
# hm_groups FILE: "GROUP VIABLE READY DEVICES" of every group in a page
hm_groups() {
	for _k in viable ready devices; do
		sed -n "s/^vfiogroup_group_$_k{group=\"\([0-9]*\)\"} \([0-9]*\)$/\1 $_k \2/p" "$1"
	done | awk '{ v[$1, $2] = $3; g[$1] = 1 } END { for (x in g) print x, v[x, "viable"], v[x, "ready"], v[x, "devices"] }' | sort -n
}
# hm_sysfs: the same from sysfs and the rule
hm_sysfs() {
	for _g in /sys/kernel/iommu_groups/*; do
		_g=${_g##*/}
		echo "$_g $(rule_viable "$_g") $(rule_ready "$_g") $(ndevs "$_g")"
	done | sort -n
}
hm_cmp() { # hm_cmp DESC FILE
	hm_groups "$2" >"$T/hm.got"
	hm_sysfs >"$T/hm.want"
	if cmp -s "$T/hm.want" "$T/hm.got"; then
		ok "hooks-metrics: $1: viable, ready, devices of the $(wc -l <"$T/hm.want") groups == sysfs"
	else
		notok "hooks-metrics: $1: groups (sysfs and rule, then the scrape)"
		indent <"$T/hm.want"
		indent <"$T/hm.got"
	fi
}
hx_m() { echo "$1" >>"$T/hm.expect"; }
# hm_counts FROM TO KIND: how much vfiogroup_events_total{kind} grew
hm_grew() {
	echo $(($(hm_val "$2" "vfiogroup_events_total{kind=\"$3\"}") - $(hm_val "$1" "vfiogroup_events_total{kind=\"$3\"}")))
}

if want hooks-metrics; then
	log "hooks-metrics"
	NE=$HERE/node-exporter/bin/prometheus-node-exporter
	HK=${HK:-$(find_prog vfiogroup-hooks)} VGHTTP=$(find_prog vghttp) CLI=${CLI:-$(find_prog vfiogroup)}
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { modprobe vfio-pci 2>/dev/null; modprobe vfio_iommu_type1 2>/dev/null; }
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
fi
if ! want hooks-metrics; then
	:
elif [ ! -x "$NE" ]; then
	skip "hooks-metrics: node_exporter scrapes vfiogroup-hooks --textfile" \
		"no node_exporter in the guest payload ($NE): install prometheus-node-exporter on the host (tests/install-deps.sh)"
elif [ -z "$HK" ] || [ -z "$VGHTTP" ] || [ -z "$CLI" ] || [ -z "$E" ] || [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
	notok "hooks-metrics: needs vfiogroup-hooks, vghttp, vfiogroup (${HK:-?} ${VGHTTP:-?} ${CLI:-?}), an e1000 alone in its group (${E:-none}) and vfio-pci"
else
	HMD=$T/hm.hooks TF=$T/textfile HG=$(grp_of "$E")
	mkdir -p "$HMD" "$TF"
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	"$HK" -d "$HMD" --textfile "$TF" >"$T/hm.hk.out" 2>"$T/hm.hk.err" </dev/null &
	pid_HM=$!
	PIDS="$PIDS $pid_HM"
	"$NE" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TF" --web.listen-address="127.0.0.1:$NEP" \
		>"$T/hm.ne.out" 2>"$T/hm.ne.err" </dev/null &
	pid_NE=$!
	PIDS="$PIDS $pid_NE"
	if wait_for 60 hm_up; then
		ok "hooks-metrics: node_exporter serves vfiogroup-hooks' textfile on 127.0.0.1:$NEP (vfiogroup_up 1)"
	else
		notok "hooks-metrics: no vfiogroup_up 1 from node_exporter within 60 s"
		cat "$T/hm.http.err" "$T/hm.ne.err" "$T/hm.hk.err" 2>/dev/null | tail -n 20 | indent
	fi
	cp "$T/hm.page" "$T/hm.p0"
	# the groups now: earlier sections' remove and rescan may have added one
	# shellcheck disable=SC2012
	hm_ngroups=$(ls /sys/kernel/iommu_groups | wc -l)
	check "hooks-metrics: node_textfile_scrape_error 0 (the file parses), vfiogroup_groups $hm_ngroups as in sysfs" \
		test "$(hm_val "$T/hm.p0" node_textfile_scrape_error)" = 0 -a \
		"$(hm_val "$T/hm.p0" vfiogroup_groups)" = "$hm_ngroups"
	check "hooks-metrics: vfiogroup_devices == the devices in /sys/kernel/iommu_groups ($(sysfs_listing | wc -l))" \
		test "$(hm_val "$T/hm.p0" vfiogroup_devices)" = "$(sysfs_listing | wc -l)"
	hm_cmp "at start" "$T/hm.p0"
	# One renderer: "vfiogroup metrics" prints the same group lines
	"$CLI" metrics >"$T/hm.cli" 2>"$T/hm.cli.err"
	rc=$?
	grep '^vfiogroup_group_' "$T/hm.cli" | sort >"$T/hm.cli.g"
	grep '^vfiogroup_group_' "$T/hm.p0" | sort >"$T/hm.p0.g"
	check "hooks-metrics: vfiogroup metrics (rc=$rc) == the scrape's vfiogroup_group_* lines ($(wc -l <"$T/hm.cli.g"))" \
		test "$rc" -eq 0 -a -s "$T/hm.cli.g" -a -z "$(diff "$T/hm.cli.g" "$T/hm.p0.g")"

	# $E to vfio-pci: its group viable and ready, counters grow by the events
	: >"$T/hm.expect"
	unbind_expect "$E" hx_m
	bind_expect "$E" vfio-pci hx_m
	s1=$(module_seq)
	wait_for 30 hm_seq_reached "$s1" || diag "hooks-metrics: the scrape did not reach seq $s1 within 30 s"
	cp "$T/hm.page" "$T/hm.p1"
	hm_cmp "$E on vfio-pci" "$T/hm.p1"
	check "hooks-metrics: group $HG viable 1 ready 1 in the scrape, as sysfs says ($(rule_viable "$HG") $(rule_ready "$HG"))" \
		test "$(hm_val "$T/hm.p1" "vfiogroup_group_viable{group=\"$HG\"}") $(hm_val "$T/hm.p1" "vfiogroup_group_ready{group=\"$HG\"}")" = "1 1" \
		-a "$(rule_viable "$HG") $(rule_ready "$HG")" = "1 1"
	# back to e1000
	unbind_expect "$E" hx_m
	bind_expect "$E" e1000 hx_m
	s2=$(module_seq)
	wait_for 30 hm_seq_reached "$s2" || diag "hooks-metrics: the scrape did not reach seq $s2 within 30 s"
	cp "$T/hm.page" "$T/hm.p2"
	hm_cmp "$E back on e1000" "$T/hm.p2"
	bad=0
	for k in driver-bound driver-unbound viability-changed ready-changed device-added device-removed; do
		want_k=$(grep -c "^$k:" "$T/hm.expect")
		got_k=$(hm_grew "$T/hm.p0" "$T/hm.p2" "$k")
		[ "$want_k" = "$got_k" ] || { bad=$((bad + 1)); diag "hooks-metrics: events_total{kind=\"$k\"} grew by $got_k, the changes made $want_k"; }
	done
	check "hooks-metrics: vfiogroup_events_total grew by exactly the $(wc -l <"$T/hm.expect") events of the 4 changes, kind by kind" test "$bad" -eq 0
	check "hooks-metrics: last_event_seq == module seq $s2, no resync, loss or dropped event" \
		test "$(hm_val "$T/hm.p2" vfiogroup_last_event_seq)" = "$s2" -a \
		"$(hm_val "$T/hm.p2" vfiogroup_resyncs_total)" = 0 -a \
		"$(hm_val "$T/hm.p2" vfiogroup_losses_total)" = 0 -a \
		"$(hm_val "$T/hm.p2" vfiogroup_module_dropped_total)" = 0
	check "hooks-metrics: the textfile is replaced whole: no vfiogroup.prom.PID left" \
		test -z "$(find "$TF" -name 'vfiogroup.prom.*')"
	kill -TERM "$pid_NE" "$pid_HM" 2>/dev/null
	wait "$pid_HM"
	hm_rc=$?
	wait "$pid_NE" 2>/dev/null
	check "hooks-metrics: vfiogroup-hooks exits 0 on SIGTERM (rc=$hm_rc), logged nothing at notice or worse" \
		test "$hm_rc" -eq 0 -a ! -s "$T/hm.hk.err"
	[ ! -s "$T/hm.hk.err" ] || indent <"$T/hm.hk.err"
	[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
fi
