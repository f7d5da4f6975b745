# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "bad", sourced by run-tests.sh: (g) malformed requests (vgprobe
# bad CASE): EINVAL + extack, unknown cmd EOPNOTSUPP; every attribute type
# an operation does not list: EINVAL (vgprobe bad sweep).

if want bad; then
	log "bad requests"
	for c in id-u64 id-short name-long name-nonul attr-beyond-max foreign-attr no-attr info-attr dump-attr unknown-cmd; do
		out=$("$VG" bad "$c" 2>&1)
		rc=$?
		e=$(vg_field "$out" errno)
		msg=$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')
		diag "bad $c: $(echo "$out" | head -n1)"
		case $c in
		unknown-cmd)
			check "bad request $c: EOPNOTSUPP" test "$rc" -eq 0 -a "$e" = EOPNOTSUPP ;;
		dump-attr)
			# Up to 6.1 the module refuses it in the dump's start(),
			# which has no extack there: EINVAL without a message.
			if kver_ge 6 2; then
				check "bad request $c: EINVAL with an extack message" test "$rc" -eq 0 -a "$e" = EINVAL -a -n "$msg"
			else
				check "bad request $c: EINVAL (no extack before 6.2)" test "$rc" -eq 0 -a "$e" = EINVAL
			fi ;;
		*)
			check "bad request $c: EINVAL with an extack message" test "$rc" -eq 0 -a "$e" = EINVAL -a -n "$msg" ;;
		esac
	done
	# Every attribute type an operation does not list, on every operation.
	sg=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 | sed 's|.*/||' | sort -n | head -n 1)
	"$VG" bad sweep "$sg" >"$T/sweep.out" 2>&1
	rc=$?
	nsw=$(grep -c '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out")
	if kver_ge 6 2; then
		swbad=$(grep '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out" | grep -v ' errno=EINVAL extack=.')
	else
		# Up to 6.1 a dump's start() has no extack (see dump-attr).
		swbad=$(grep '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out" |
			grep -v ' errno=EINVAL extack=.' | grep -v '^sweep op=group-get-dump attr=[0-9]* errno=EINVAL ')
	fi
	check "bad requests: all $nsw attribute types the three operations do not list are EINVAL (rc=$rc)" \
		test "$rc" -eq 0 -a "$nsw" -ge 40 -a -z "$swbad"
	[ -z "$swbad" ] || echo "$swbad" | head -n 10 | indent
	check "bad requests: the control (group-get of group $sg by id alone) succeeds" \
		grep -q '^sweep op=group-get attr=- errno=0 ' "$T/sweep.out"
	check "family still answers after the bad requests" "$VG" info
fi
