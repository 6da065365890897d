// SPDX-License-Identifier: MIT
/* stats.c - process-wide counters of traffic, drops and refusals */

#include <inttypes.h>

#include "stats.h"

struct stats stats;

/**
 * stats_print() - print the counters, one "name value  # description" line
 * @out:	where to print
 * @all:	print zero counters too
 */
void stats_print(FILE *out, int all)
{
#define STATS_LINE(name, text)                                                 \
	if (all || stats.name)                                                 \
		fprintf(out, "%-26s %12" PRIu64 "  # %s\n", #name, stats.name, \
			text);
	STATS_COUNTERS(STATS_LINE)
#undef STATS_LINE
}
