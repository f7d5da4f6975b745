# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for vfiogroup(8)
# shellcheck shell=bash

_vfiogroup_groups() {
	local g
	for g in /sys/kernel/iommu_groups/*; do
		[[ -e $g ]] && printf '%s\n' "${g##*/}"
	done
}

_vfiogroup_devices() {
	local d
	for d in /sys/kernel/iommu_groups/*/devices/* /sys/class/net/*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
}

_vfiogroup_drivers() {
	local d
	for d in /sys/bus/*/drivers/*; do
		[[ -d $d ]] && printf '%s\n' "${d##*/}"
	done | sort -u
}

_vfiogroup() {
	local cur prev words cword cmd='' i
	# -s: "--json=pre" as prev --json, cur pre (the values of --json and
	# --color follow an '=', never a space: they are optional)
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else	# bash-completion's helpers absent: readline split at '=' too
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
		cur=${words[cword]} prev=${words[cword - 1]}
		if [[ $cur == = ]]; then
			cur=''
		elif [[ $prev == = ]] && ((cword > 1)); then
			prev=${words[cword - 2]}
		fi
	fi

	# the command: the first word after the global options
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		=) ((i++)) ;;	# "--json = pretty": a value, not a command
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	--group | -g)
		mapfile -t COMPREPLY < <(compgen -W "$(_vfiogroup_groups)" -- "$cur")
		return ;;
	--device | -d | dev)
		mapfile -t COMPREPLY < <(compgen -W "$(_vfiogroup_devices)" -- "$cur")
		return ;;
	--driver | -D)
		mapfile -t COMPREPLY < <(compgen -W "$(_vfiogroup_drivers)" -- "$cur")
		return ;;
	--state | -s)
		mapfile -t COMPREPLY < <(compgen -W "viable not-viable ready not-ready" -- "$cur")
		return ;;
	--json | --color | --colour)
		# only after '=': "--color auto" would make auto the command
		[[ $COMP_LINE == *"$prev="* ]] || return
		if [[ $prev == --json ]]; then
			mapfile -t COMPREPLY < <(compgen -W "short pretty" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
		fi
		return ;;
	--count | -c | --timeout)
		return ;;
	esac

	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "-j --json= --color= -h --help -V --version" -- "$cur")
			[[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace
		else
			mapfile -t COMPREPLY < <(compgen -W "list show info monitor wait help" -- "$cur")
		fi ;;
	show)
		mapfile -t COMPREPLY < <(compgen -W "dev $(_vfiogroup_groups)" -- "$cur") ;;
	monitor)
		mapfile -t COMPREPLY < <(compgen -W "--group --device --driver --state --snapshot --timestamp --count --timeout" -- "$cur") ;;
	wait)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--viable --ready --device --timeout" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_vfiogroup_groups)" -- "$cur")
		fi ;;
	esac
} &&
	complete -F _vfiogroup vfiogroup
