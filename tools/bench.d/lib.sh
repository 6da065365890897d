# SPDX-License-Identifier: MIT
# tools/bench.d/lib.sh - shell functions shared by tools/bench,
# tools/bench-rss and tools/bench-connect: cleanup on exit, network
# namespaces, gateways (sluice, passt, slirp4netns) and machine facts.
#
# Sourced by bash scripts. Every process, namespace and TAP device made
# here is registered and removed by bench_cleanup, which runs on exit and on
# SIGINT, SIGTERM and SIGHUP. Traffic goes only to the host's loopback and
# to the namespaces made here. Names carry the script's PID so that several
# runs, and the test suite, can share the machine.
#
# A guest namespace gets a static address (10.0.2.15/24, or slirp4netns's
# 10.0.2.100/24), default route and DNS via 10.0.2.2, the gateway address
# that each gateway maps to the host's 127.0.0.1.

bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench_dir="$bench_top/tools/bench.d"
bench_build=${SLUICE_BUILD:-$bench_top/build}
bench_sluice="$bench_build/core/sluice"
bench_bridge=${SLUICE_BENCH_BRIDGE:-$bench_build/sluice-tapbridge}
bench_gateway_addr=10.0.2.2

bench_pids=()
bench_namespaces=()
bench_links=()
bench_work=""
bench_counter=0

# bench_log MESSAGE...: print a progress line to stderr.
bench_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# bench_die MESSAGE...: print an error and exit 1 (cleanup runs on exit).
bench_die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# bench_owned PID: whether PID is a running child of this script, so that
# a PID that the kernel has reused for another process is never signalled.
bench_owned() {
	[ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]
}

# bench_forget PID: drop PID from the processes that cleanup stops.
bench_forget() {
	local i

	for i in "${!bench_pids[@]}"; do
		[ "${bench_pids[i]}" = "$1" ] && unset 'bench_pids[i]'
	done
	bench_pids=("${bench_pids[@]}")
}

# bench_stop PID: stop a child started by bench_spawn: SIGTERM, wait up to
# 3 s, then SIGKILL.
bench_stop() {
	local pid=$1 i

	bench_forget "$pid"
	if bench_owned "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 30); do
			bench_owned "$pid" || break
			sleep 0.1
		done
		bench_owned "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# bench_cleanup: stop every registered process, newest first, then delete
# the namespaces, TAP devices and the work directory. The work directory
# with its logs stays after a failed run and with SLUICE_BENCH_KEEP=1.
bench_cleanup() {
	local status=$? i

	trap - EXIT INT TERM HUP
	while [ ${#bench_pids[@]} -gt 0 ]; do
		bench_stop "${bench_pids[-1]}"
	done
	for i in "${bench_namespaces[@]}"; do
		ip netns del "$i" 2>/dev/null
		rm -rf "/etc/netns/$i"
	done
	for i in "${bench_links[@]}"; do
		ip link del "$i" 2>/dev/null
	done
	if [ -n "$bench_work" ] && [ -z "${SLUICE_BENCH_KEEP:-}" ] &&
		[ "$status" -eq 0 ]; then
		rm -rf "$bench_work"
	elif [ -n "$bench_work" ]; then
		bench_log "logs kept in $bench_work"
	fi
	return "$status"
}

# bench_init: check for root, make the work directory and install the
# cleanup traps. Call once, before anything else.
bench_init() {
	[ "$(id -u)" = 0 ] ||
		bench_die "needs root for network namespaces and TAP devices: run it as root"
	bench_work=$(mktemp -d /tmp/sluice-bench-XXXXXX) ||
		bench_die "cannot create a work directory in /tmp"
	chmod 755 "$bench_work"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# bench_require COMMAND PACKAGE...: fail unless each COMMAND exists; the
# message names the Debian package that provides it.
bench_require() {
	while [ $# -ge 2 ]; do
		command -v "$1" >/dev/null ||
			bench_die "$1 not found: install the Debian package $2 (apt-get install $2)"
		shift 2
	done
}

# bench_require_sluice: fail unless sluice and sluice-tapbridge are built.
bench_require_sluice() {
	[ -x "$bench_sluice" ] && [ -x "$bench_bridge" ] ||
		bench_die "$bench_sluice or $bench_bridge is missing: build first with" \
			"cmake -S $bench_top -B $bench_build -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
			"&& make -C $bench_build -j2"
}

# bench_name PREFIX: make a name unique to this run and machine, at most
# 15 bytes (the limit of network device names) for a 3-byte prefix. Call it
# outside $(...), because it counts in bench_counter; the name is in
# bench_named.
bench_name() {
	bench_counter=$((bench_counter + 1))
	bench_named=$(printf '%s%d-%d' "$1" "$$" "$bench_counter")
}

# bench_spawn LOG COMMAND...: start COMMAND in the background with its
# output in LOG and register it for cleanup; its PID is in bench_spawned.
# Call it outside $(...), or cleanup does not learn the PID.
bench_spawn() {
	local log=$1

	shift
	"$@" >"$log" 2>&1 </dev/null &
	bench_spawned=$!
	bench_pids+=("$bench_spawned")
}

# bench_wait SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.1 s until
# it succeeds; fail with DESCRIPTION after SECONDS.
bench_wait() {
	local seconds=$1 what=$2 i

	shift 2
	for i in $(seq $((seconds * 10))); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	bench_die "timed out after $seconds s waiting for $what"
}

# bench_free_port: print a TCP port that is free on 127.0.0.1 right now.
bench_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_listening PORT: whether a TCP socket listens on 127.0.0.1:PORT.
bench_listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# bench_netns: create a namespace with loopback up and DNS via the gateway;
# its name is in bench_ns.
bench_netns() {
	bench_name sbn
	bench_ns=$bench_named
	ip netns add "$bench_ns" || bench_die "cannot create network namespace $bench_ns"
	bench_namespaces+=("$bench_ns")
	mkdir -p "/etc/netns/$bench_ns"
	echo "nameserver $bench_gateway_addr" >"/etc/netns/$bench_ns/resolv.conf"
	ip netns exec "$bench_ns" ip link set lo up
}

# bench_link_exists DEV [NS]: whether device DEV exists (in namespace NS).
bench_link_exists() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" ip link show "$1" >/dev/null 2>&1
	else
		ip link show "$1" >/dev/null 2>&1
	fi
}

# bench_guest_static NS DEV MTU: move the TAP device DEV into NS and give
# it the address QEMU's user networking uses, 10.0.2.15/24 via 10.0.2.2.
bench_guest_static() {
	local ns=$1 dev=$2 mtu=$3

	bench_wait 10 "TAP device $dev" bench_link_exists "$dev"
	ip link set "$dev" netns "$ns" || bench_die "cannot move $dev into $ns"
	ip netns exec "$ns" sh -e -c "ip link set $dev mtu $mtu up
		ip addr add 10.0.2.15/24 dev $dev
		ip route add default via $bench_gateway_addr dev $dev" ||
		bench_die "cannot configure $dev in $ns"
}

# bench_sluice_running LOG: whether sluice logged that it runs.
bench_sluice_running() {
	grep -q running "$1"
}

# bench_start_sluice DIR MTU LINK ARGS...: start sluice on LINK
# ("stream" or "tap") for a new guest namespace; see bench_gateway.
bench_start_sluice() {
	local dir=$1 mtu=$2 link=$3 dev

	shift 3
	bench_name sbt
	dev=$bench_named
	if [ "$link" = stream ]; then
		bench_spawn "$dir/sluice.log" "$bench_sluice" \
			--stream-listen "$dir/sluice.sock" --mtu "$mtu" \
			--allow-net 127.0.0.1/32 "$@"
	else
		bench_links+=("$dev")
		bench_spawn "$dir/sluice.log" "$bench_sluice" --tap "$dev" \
			--mtu "$mtu" --allow-net 127.0.0.1/32 "$@"
	fi
	bench_gw_pid=$bench_spawned
	bench_wait 10 "sluice to start (log: $dir/sluice.log)" \
		bench_sluice_running "$dir/sluice.log"
	kill -0 "$bench_gw_pid" 2>/dev/null ||
		bench_die "sluice exited at start: $(tail -n 5 "$dir/sluice.log")"
	if [ "$link" = stream ]; then
		bench_links+=("$dev")
		bench_spawn "$dir/bridge.log" "$bench_bridge" "$dev" "$dir/sluice.sock"
	fi
	bench_guest_static "$bench_ns" "$dev" "$mtu"
	bench_guest_addr=10.0.2.15
}

# bench_start_passt DIR MTU: start passt on a unix socket in the QEMU
# stream format, reached through sluice-tapbridge like sluice.
bench_start_passt() {
	local dir=$1 mtu=$2 dev sock

	bench_name sbt
	dev=$bench_named
	# passt runs as the user nobody from before it binds its socket, so
	# that user must be able to create the socket file.
	mkdir -p "$dir/passt"
	chown nobody:nogroup "$dir/passt"
	sock="$dir/passt/passt.sock"
	# Without --no-map-gw, passt sends TCP to the gateway address to the
	# host's loopback: 10.0.2.2 reaches 127.0.0.1 as with sluice.
	bench_spawn "$dir/passt.log" passt --foreground --quiet --ipv4-only \
		--socket "$sock" --mtu "$mtu" --address 10.0.2.15 --netmask 24 \
		--gateway "$bench_gateway_addr" \
		--tcp-ports none --udp-ports none
	bench_gw_pid=$bench_spawned
	bench_wait 10 "passt's socket $sock (log: $dir/passt.log)" test -S "$sock"
	bench_links+=("$dev")
	bench_spawn "$dir/bridge.log" "$bench_bridge" "$dev" "$sock"
	bench_guest_static "$bench_ns" "$dev" "$mtu"
	bench_guest_addr=10.0.2.15
}

# bench_start_slirp DIR MTU: start slirp4netns, which creates and
# configures its own TAP device in the namespace (guest 10.0.2.100; the
# gateway 10.0.2.2 reaches the host's loopback by default).
bench_start_slirp() {
	local dir=$1 mtu=$2 dev

	bench_name sbt
	dev=$bench_named
	bench_spawn "$dir/slirp4netns.log" slirp4netns --configure \
		--mtu="$mtu" --netns-type=path "/run/netns/$bench_ns" "$dev"
	bench_gw_pid=$bench_spawned
	bench_wait 10 "slirp4netns to configure $dev (log: $dir/slirp4netns.log)" \
		bench_link_exists "$dev" "$bench_ns"
	bench_wait 10 "the default route via slirp4netns" \
		sh -c "ip netns exec $bench_ns ip route | grep -q default"
	bench_guest_addr=10.0.2.100
}

# bench_gateway KIND MTU [SLUICE_ARGS...]: start a guest namespace behind a
# gateway. KIND is sluice (stream link through sluice-tapbridge, as QEMU's
# -netdev stream), sluice-tap (TAP link), passt or slirp4netns. Sets
# bench_ns (namespace), bench_gw_pid (the gateway process) and
# bench_guest_addr. Logs go to a directory of their own in the work
# directory, bench_gw_dir.
bench_gateway() {
	local kind=$1 mtu=$2

	shift 2
	bench_netns
	bench_gw_dir="$bench_work/$kind-$mtu-$bench_counter"
	mkdir -p "$bench_gw_dir"
	case $kind in
	sluice) bench_start_sluice "$bench_gw_dir" "$mtu" stream "$@" ;;
	sluice-tap) bench_start_sluice "$bench_gw_dir" "$mtu" tap "$@" ;;
	passt) bench_start_passt "$bench_gw_dir" "$mtu" ;;
	slirp4netns) bench_start_slirp "$bench_gw_dir" "$mtu" ;;
	*) bench_die "unknown gateway $kind (expected sluice, sluice-tap, passt or slirp4netns)" ;;
	esac
}

# bench_status_kib PID FIELD: a field of /proc/PID/status in KiB (VmRSS,
# VmHWM, ...), or nothing when the process is gone.
bench_status_kib() {
	awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bench_median: print the median of the numbers on standard input (the
# mean of the middle two for an even count), or "-" for no numbers.
bench_median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# bench_loadavg: the 1, 5 and 15 minute load averages.
bench_loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# bench_machine: print the machine, kernel, sluice revision and load. The
# revision is that of the source tree the build directory was made from.
bench_machine() {
	local cpu src rev

	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' \
		"$bench_build/CMakeCache.txt" 2>/dev/null)
	rev=$(git -C "${src:-$bench_top}" describe --always --dirty 2>/dev/null ||
		echo "unknown revision")
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $cpu, $(nproc) CPUs, kernel $(uname -r)"
	echo "sluice:  $rev, built from ${src:-$bench_top} ($bench_sluice)"
	echo "load:    $(bench_loadavg) (1, 5, 15 min) at start"
}

# bench_package_version PACKAGE: the installed Debian version, or "-".
bench_package_version() {
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo -
}
