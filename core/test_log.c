// SPDX-License-Identifier: MIT
/* test_log.c - logging: rate-limited call sites report what they suppressed */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

/* stderr while a capture runs, and the file that takes its place. */
static int saved_stderr = -1;
static FILE *capture_file;

static void capture_start(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	CHECK(capture_file != NULL);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(capture_file), STDERR_FILENO);
}

/* Stop capturing and return what was written (static buffer). */
static const char *capture_stop(void)
{
	static char text[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(text, 1, sizeof(text) - 1, capture_file);
	text[n] = '\0';
	fclose(capture_file);
	return text;
}

static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

/* Log the same rate-limited line @times times from one call site. */
static void noisy_site(unsigned times)
{
	unsigned i;

	for (i = 0; i < times; i++)
		log_ratelimited(LOG_WARN, "test: drop number %u", i);
}

/* A call site that goes quiet after a burst still reports its count. */
static void ratelimit_flush_reports_quiet_site(void)
{
	const char *out;

	log_ratelimit_flush(true);
	capture_start();
	noisy_site(LOG_RATELIMIT_BURST + 7);
	log_ratelimit_flush(false);
	out = capture_stop();
	CHECK_INT(count_lines(out, "test: drop number"), LOG_RATELIMIT_BURST);
	CHECK(strstr(out, "suppressed") == NULL);

	capture_start();
	log_ratelimit_flush(true);
	out = capture_stop();
	CHECK(strstr(out, "(7 similar messages suppressed, the first: test: "
			  "drop number 5)") != NULL);

	capture_start();
	log_ratelimit_flush(true);
	out = capture_stop();
	CHECK_STR(out, "");
}

/* A count is reported once: by the flush or before the next line. */
static void ratelimit_count_reported_once(void)
{
	struct log_ratelimit rl = {.fmt = "site: %d", .level = LOG_WARN};
	unsigned long dropped = 0;
	const char *out;
	unsigned i;

	log_ratelimit_flush(true);
	for (i = 0; i < LOG_RATELIMIT_BURST; i++)
		CHECK(log_ratelimit_allow(&rl, &dropped));
	CHECK(!log_ratelimit_allow(&rl, &dropped));
	CHECK(!log_ratelimit_allow(&rl, &dropped));

	/* The window ends: the flush reports 2 and the next line none. */
	rl.window_start -= LOG_RATELIMIT_SECONDS;
	capture_start();
	log_ratelimit_flush(false);
	out = capture_stop();
	CHECK(strstr(out, "(2 similar messages suppressed: site: ...)") !=
	      NULL);
	CHECK(log_ratelimit_allow(&rl, &dropped));
	CHECK_INT(dropped, 0);
}

/* A level that is turned off reports nothing and clears the count. */
static void ratelimit_flush_respects_level(void)
{
	struct log_ratelimit rl = {.fmt = "quiet: %d", .level = LOG_DEBUG};
	unsigned long dropped;
	const char *out;
	unsigned i;

	log_ratelimit_flush(true);
	for (i = 0; i <= LOG_RATELIMIT_BURST; i++)
		log_ratelimit_allow(&rl, &dropped);
	capture_start();
	log_ratelimit_flush(true);
	out = capture_stop();
	CHECK_STR(out, "");
	CHECK_INT(rl.suppressed, 0);
	CHECK(!rl.listed);
}

/* One suppressed line is reported in the singular, with its text. */
static void ratelimit_flush_singular(void)
{
	const char *out;
	unsigned i;

	log_ratelimit_flush(true);
	capture_start();
	for (i = 0; i < LOG_RATELIMIT_BURST + 1; i++)
		log_ratelimited(LOG_WARN, "single: %u", i);
	log_ratelimit_flush(true);
	out = capture_stop();
	CHECK(strstr(out, "(1 similar message suppressed, the first: "
			  "single: 5)") != NULL);
}

UNIT_MAIN(UNIT_TEST(ratelimit_flush_reports_quiet_site),
	  UNIT_TEST(ratelimit_count_reported_once),
	  UNIT_TEST(ratelimit_flush_singular),
	  UNIT_TEST(ratelimit_flush_respects_level))
