// SPDX-License-Identifier: MIT
/* policy_watch.c - CPU-time watch that starts the instruction count of long Lua calls */

/*
 * How it works
 *
 * Lua 5.4 calls into the debug machinery before every VM instruction
 * while any count hook is set, whatever its count, which made every rule
 * decision about a third slower. So a protected call starts without a
 * hook, and a timer on the thread's CPU clock ticks every
 * POLICY_WATCH_TICK_NS of CPU time the thread uses. The signal handler
 * notes which call is running. When the next tick finds the same call
 * still running, that call has used at least one tick of CPU time, so the
 * handler installs the budget's count hook on its state. Lua 5.4's
 * ldebug.c allows lua_sethook() in a signal handler, and the standalone
 * lua interpreter stops a script on Ctrl-C this way. The running VM checks
 * for the hook at its next jump, call or return, so a loop cannot avoid it.
 *
 * The instruction budget therefore counts from the moment a call is
 * found running long, between one and two ticks into the call. The kernel
 * rounds the tick up to its scheduler tick: with 250 ticks a second, the
 * timer fired 250 times per second of CPU time in a busy loop, and the
 * loop ran as fast as without the timer. Calls that end sooner, which is
 * every normal rule decision, run without the hook.
 *
 * Limits: one thread runs Lua (the timer measures that thread). The
 * timer only advances while the thread uses CPU, so an idle gateway gets
 * no signals; a busy one gets one per tick of CPU time. When the timer
 * cannot be set up, policy_watch_start() fails and the caller counts
 * every instruction from the start of each call instead.
 */

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>

#include "log.h"
#include "policy.h"
#include "policy_internal.h"

/* CPU time between two ticks of the watch. */
#define POLICY_WATCH_TICK_NS 1000000L

/* The generation whose protected call is running, or NULL. */
static struct policy *volatile policy_watch_running;
/* Protected calls started so far. */
static volatile unsigned long policy_watch_calls;
/* policy_watch_calls at the previous tick. */
static unsigned long policy_watch_seen;

static void policy_watch_tick(int sig)
{
	struct policy *p = policy_watch_running;
	int saved_errno = errno;

	(void)sig;
	if (p && policy_watch_seen == policy_watch_calls && !p->counting) {
		p->counting = true;
		lua_sethook(p->L, policy_hook, LUA_MASKCOUNT, p->hook_step);
	}
	policy_watch_seen = policy_watch_calls;
	errno = saved_errno;
}

bool policy_watch_start(void)
{
	static int state; /* 0: not tried, 1: running, -1: unavailable */
	struct itimerspec every = {
	    .it_interval = {.tv_nsec = POLICY_WATCH_TICK_NS},
	    .it_value = {.tv_nsec = POLICY_WATCH_TICK_NS},
	};
	struct sigevent sev;
	struct sigaction sa;
	timer_t timer;

	if (state)
		return state > 0;

	state = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = policy_watch_tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL))
		goto fail;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer))
		goto fail;
	if (timer_settime(timer, 0, &every, NULL)) {
		timer_delete(timer);
		goto fail;
	}
	state = 1;
	return true;

fail:
	log_warn_perror("policy: no CPU-time watch for Lua calls, "
			"counting every instruction instead");
	return false;
}

void policy_watch_enter(struct policy *p)
{
	p->counting = false;
	policy_watch_calls = policy_watch_calls + 1;
	atomic_signal_fence(memory_order_seq_cst);
	policy_watch_running = p;
	atomic_signal_fence(memory_order_seq_cst);
}

void policy_watch_leave(void)
{
	policy_watch_running = NULL;
	atomic_signal_fence(memory_order_seq_cst);
}
