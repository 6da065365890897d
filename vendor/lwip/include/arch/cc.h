/* SPDX-License-Identifier: MIT */
/* arch/cc.h - compiler and platform definitions for lwIP on Linux */

#ifndef SLUICE_LWIP_ARCH_CC_H
#define SLUICE_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#define LWIP_TIMEVAL_PRIVATE	0
#define LWIP_ERRNO_STDINCLUDE	1
#define LWIP_RAND()		((u32_t)random())

#define LWIP_PLATFORM_DIAG(x)	do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                \
	do {                                                                   \
		fprintf(stderr, "lwIP assertion failed: %s (%s:%d)\n", x,      \
			__FILE__, __LINE__);                                   \
		abort();                                                       \
	} while (0)

#endif /* SLUICE_LWIP_ARCH_CC_H */
