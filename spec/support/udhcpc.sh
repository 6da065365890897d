#!/bin/sh
# SPDX-License-Identifier: MIT
# udhcpc event script for the test guests: configures the lease (address,
# router, MTU, DNS) and prints it on one line for the specs to parse.
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	ip route add default via "$router" dev "$interface"
	echo "SLUICE-LEASE ip=$ip router=$router dns=$dns mtu=$mtu"
	;;
esac
exit 0
