#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the throughput and retransmissions of one iperf3 -J run.

Usage: iperf_result.py FILE

Prints "GBITS RETRANSMITS": the receiver's throughput in Gbit/s (10^9 bit
per second, the bytes the receiving application read) and the TCP
retransmissions the sender counted. Exits 1 with a message on standard
error when the run failed or the file is not iperf3 JSON output.
"""

import json
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: iperf_result.py FILE", file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not iperf3 JSON output: {e}", file=sys.stderr)
        return 1
    if "error" in report:
        print(f"{path}: iperf3 failed: {report['error']}", file=sys.stderr)
        return 1
    try:
        end = report["end"]
        gbits = end["sum_received"]["bits_per_second"] / 1e9
        retransmits = end["sum_sent"].get("retransmits", 0)
    except (KeyError, TypeError) as e:
        print(f"{path}: no end summary in iperf3 output (missing {e})",
              file=sys.stderr)
        return 1
    print(f"{gbits:.3f} {retransmits}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
