#include "sim/dut.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/err.h"
#include "proto/rmcp.h"

enum { DUT_MAX_ARGS = 8 };

static uint64_t
ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static pid_t
spawn(const char *cmd, const char *const *args, int out_fd, int pipe_r)
{
	const char *argv[DUT_MAX_ARGS + 5] = {"sh", "-c", NULL, "dut"};
	char script[1200];
	/* the vendor's command is shell text; the arguments stay separate words */
	snprintf(script, sizeof(script), "%s \"$@\"", cmd);
	argv[2] = script;
	size_t n = 4;
	for (size_t i = 0; args[i] && i < DUT_MAX_ARGS; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipe_r);
		dup2(out_fd, STDOUT_FILENO);
		close(out_fd);
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Reads the adapter's stdout until it closes or the deadline passes. */
static bool
collect(int fd, char *out, size_t cap, uint64_t deadline)
{
	size_t at = 0;
	for (;;) {
		uint64_t now = ms_now();
		if (now >= deadline)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? false : true;
		char tmp[512];
		ssize_t k = read(fd, tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return true;
		size_t keep = (size_t)k < cap - 1 - at ? (size_t)k : cap - 1 - at;
		memcpy(out + at, tmp, keep);
		at += keep;
		out[at] = '\0';
	}
}

int
dut_call(const char *cmd, const char *const *args, char *out, size_t cap, char *err, size_t errlen)
{
	int p[2];
	if (cap == 0 || pipe(p) != 0) {
		snprintf(err, errlen, "DUT adapter: pipe: %s", strerror(errno));
		return RMC_EIO;
	}
	out[0] = '\0';
	pid_t pid = spawn(cmd, args, p[1], p[0]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		snprintf(err, errlen, "DUT adapter: fork: %s", strerror(errno));
		return RMC_EIO;
	}
	bool done = collect(p[0], out, cap, ms_now() + DUT_TIMEOUT_MS);
	close(p[0]);
	if (!done)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!done) {
		snprintf(err, errlen, "DUT adapter '%s %s' gave no answer in %d s", cmd, args[0],
			 DUT_TIMEOUT_MS / 1000);
		return RMC_EIO;
	}
	if (!WIFEXITED(st)) {
		snprintf(err, errlen, "DUT adapter '%s %s' died of signal %d", cmd, args[0],
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return RMC_EIO;
	}
	return WEXITSTATUS(st);
}

static int
bad(char *err, size_t errlen, const char *field, const char *why)
{
	snprintf(err, errlen, "DUT state: field '%s': %s", field, why);
	return RMC_EINVAL;
}

static int
parse_count(json_t *v, const char *field, uint64_t *n, char *err, size_t errlen)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(err, errlen, field, "want a count (integer >= 0)");
	*n = (uint64_t)json_integer_value(v);
	return RMC_OK;
}

static int
parse_spi(json_t *spi, const char *field, uint32_t *out, char *err, size_t errlen)
{
	if (json_is_null(spi)) {
		*out = 0;
		return RMC_OK;
	}
	char *end;
	errno = 0;
	const char *t = json_string_value(spi);
	unsigned long v = t ? strtoul(t, &end, 16) : 0;
	if (!t || errno || *end || v > UINT32_MAX || v == 0)
		return bad(err, errlen, field, "want a non-zero 32-bit hex SPI");
	*out = (uint32_t)v;
	return RMC_OK;
}

static int
parse_sa(json_t *sa, struct dut_state *st, char *err, size_t errlen)
{
	if (json_is_null(sa))
		return RMC_OK; /* reported: no SA */
	json_t *spi = json_object_get(sa, "spi_in");
	if (!json_is_object(sa) || !json_is_string(spi))
		return bad(err, errlen, "sa", "want null or {\"spi_in\": \"0x...\"}");
	return parse_spi(spi, "sa.spi_in", &st->spi_in, err, errlen);
}

static int
parse_clients(json_t *cl, struct dut_state *st, char *err, size_t errlen)
{
	const char *name;
	json_t *v;
	if (!json_is_object(cl))
		return bad(err, errlen, "clients", "want {\"NAME\": {\"spi_out\": ...}, ...}");
	json_object_foreach(cl, name, v)
	{
		if (st->nclients == DUT_CLIENTS)
			return bad(err, errlen, "clients", "more clients than rmcpsec keeps");
		if (!json_is_object(v) || strlen(name) >= sizeof(st->clients[0].name))
			return bad(err, errlen, "clients",
				   "want NAME: {\"spi_out\": \"0x...\" | null}");
		snprintf(st->clients[st->nclients].name, sizeof(st->clients[0].name), "%s", name);
		if (parse_spi(json_object_get(v, "spi_out"), "clients.spi_out",
			      &st->clients[st->nclients].spi_out, err, errlen))
			return RMC_EINVAL;
		st->nclients++;
	}
	st->has_clients = true;
	return RMC_OK;
}

static int
parse_executed(json_t *ex, struct dut_state *st, char *err, size_t errlen)
{
	if (!json_is_object(ex))
		return bad(err, errlen, "executed", "want {\"reset\": N, ...}");
	for (size_t i = 0; i < 4; i++) { /* the commands, ASF_RESET .. ASF_POWER_CYCLE */
		json_t *v = json_object_get(ex, asf_type_word((uint8_t)(ASF_RESET + i)));
		if (v && parse_count(v, "executed", &st->executed[i], err, errlen))
			return RMC_EINVAL;
	}
	st->has_executed = true;
	return RMC_OK;
}

int
dut_state_parse(const char *text, struct dut_state *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->raw, sizeof(st->raw), "%s", text);
	json_error_t je;
	json_t *o = json_loads(text, JSON_DISABLE_EOF_CHECK, &je);
	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "DUT state: not one JSON object: %s", o ? "" : je.text);
		json_decref(o);
		return RMC_EINVAL;
	}
	int rc = RMC_OK;
	json_t *v;
	if ((v = json_object_get(o, "power"))) {
		if (!json_is_string(v) || power_state_parse(json_string_value(v), &st->power))
			rc = bad(err, errlen, "power", "want a power state name (os_up, ...)");
		st->has_power = true;
	}
	if (rc == RMC_OK && (v = json_object_get(o, "sa"))) {
		rc = parse_sa(v, st, err, errlen);
		st->has_sa = true;
	}
	if (rc == RMC_OK && (v = json_object_get(o, "commits"))) {
		rc = parse_count(v, "commits", &st->commits, err, errlen);
		st->has_commits = true;
	}
	if (rc == RMC_OK && (v = json_object_get(o, "executed")))
		rc = parse_executed(v, st, err, errlen);
	if (rc == RMC_OK && (v = json_object_get(o, "clients")))
		rc = parse_clients(v, st, err, errlen);
	json_decref(o);
	return rc;
}
