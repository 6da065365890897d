// SPDX-License-Identifier: MIT
/* main.c - sluice's entry point: options, signals and the event loop */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ev.h>

#include "audit.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "pcap.h"
#include "policy.h"
#include "stack.h"
#include "stats.h"
#include "util.h"

/**
 * struct sluice - the running program
 * @cfg:	configuration
 * @gw:		the gateway
 * @sigint_w:	SIGINT watcher
 * @sigterm_w:	SIGTERM watcher
 * @sigusr1_w:	SIGUSR1 watcher
 * @sighup_w:	SIGHUP watcher
 */
struct sluice {
	struct config cfg;
	struct gateway gw;
	ev_signal sigint_w;
	ev_signal sigterm_w;
	ev_signal sigusr1_w;
	ev_signal sighup_w;
	ev_tstamp started;
};

static void main_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("received %s, shutting down", strsignal(w->signum));
	ev_break(loop, EVBREAK_ALL);
}

static void main_counters_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct sluice *s = container_of(w, struct sluice, sigusr1_w);

	log_info("counters on SIGUSR1, %.0f s after start:",
		 ev_now(loop) - s->started);
	stats_print(stderr, 1);
	stack_print(stderr);
	gateway_print_flows(&s->gw, stderr);
	gateway_print_rules(&s->gw, stderr);
}

static void main_hangup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct sluice *s = container_of(w, struct sluice, sighup_w);

	log_info("received SIGHUP: reopening the audit log and the capture "
		 "file, reloading rules");
	if (s->cfg.audit_path)
		audit_reopen(); /* logs its own failure */
	pcap_reopen();
	gateway_reload_rules(&s->gw, "SIGHUP");
}

/* sluice check DIR: load the rules once, print their order, exit. */
static int main_check(const struct config *cfg)
{
	struct policy_opts opts = {
		.rules_dir = cfg->check_dir,
		.lua_dir = cfg->lua_dir,
		.default_allow = cfg->default_allow,
		.budget = cfg->rule_budget,
		.memory_limit = cfg->rule_memory,
		.generation = 1,
	};
	const char *verdict = cfg->default_allow ? "allow" : "deny";
	char err[512], text[PATH_MAX + sizeof(err)];
	struct policy *p;
	int files;

	if (policy_load(&opts, &p, err, sizeof(err))) {
		fprintf(stderr, "sluice check: %s\n",
			policy_error_path(cfg->check_dir, err, text,
					  sizeof(text)));
		return EXIT_FAILURE;
	}
	files = policy_print_order(p, stdout);
	policy_unref(p);
	if (files < 0)
		return EXIT_FAILURE;
	if (files == 0)
		fprintf(stderr,
			"sluice check: warning: no rule files (*.lua) in %s, so "
			"every event gets the default verdict (%s)\n",
			cfg->check_dir, verdict);
	printf("%s: ok (default %s)\n", cfg->check_dir, verdict);
	return EXIT_SUCCESS;
}

/* Allow as many descriptors as the hard limit permits: each flow has one. */
static void main_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn_perror("cannot raise the open file limit");
}

static int main_run(struct sluice *s)
{
	struct ev_loop *loop = EV_DEFAULT;

	if (s->cfg.pcap_path && pcap_open(s->cfg.pcap_path)) {
		log_err_perror("pcap: cannot create capture file %s",
			       s->cfg.pcap_path);
		return EXIT_FAILURE;
	}
	if (s->cfg.audit_path && audit_open(s->cfg.audit_path))
		return EXIT_FAILURE; /* audit_open() logged why */
	audit_lifecycle(0, "start", SLUICE_VERSION, (long)getpid());
	if (gateway_init(&s->gw, &s->cfg, loop)) {
		audit_close();
		return EXIT_FAILURE;
	}

	ev_signal_init(&s->sigint_w, main_stop_cb, SIGINT);
	ev_signal_init(&s->sigterm_w, main_stop_cb, SIGTERM);
	ev_signal_init(&s->sigusr1_w, main_counters_cb, SIGUSR1);
	ev_signal_start(loop, &s->sigint_w);
	ev_signal_start(loop, &s->sigterm_w);
	ev_signal_start(loop, &s->sigusr1_w);
	ev_signal_init(&s->sighup_w, main_hangup_cb, SIGHUP);
	ev_signal_start(loop, &s->sighup_w);

	s->started = ev_now(loop);
	log_info("sluice %s running", SLUICE_VERSION);
	ev_run(loop, 0);

	log_ratelimit_flush(true);
	log_info("counters at exit, %.0f s after start:",
		 ev_now(loop) - s->started);
	stats_print(stderr, 0);
	gateway_print_rules(&s->gw, stderr);
	gateway_shutdown(&s->gw);
	audit_lifecycle(0, "stop", SLUICE_VERSION, (long)getpid());
	audit_close();
	pcap_close();
	log_info("stopped");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static struct sluice s;
	int ret;

	ret = config_parse(&s.cfg, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;

	log_init(s.cfg.log_level);
	if (s.cfg.check_dir)
		return main_check(&s.cfg);
	signal(SIGPIPE, SIG_IGN);
	main_raise_fd_limit();
	return main_run(&s);
}
