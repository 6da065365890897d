/* SPDX-License-Identifier: MIT */
/* arch/sys_arch.h - lwIP runs with NO_SYS=1: no threads, no semaphores */

#ifndef SLUICE_LWIP_ARCH_SYS_ARCH_H
#define SLUICE_LWIP_ARCH_SYS_ARCH_H

#endif
