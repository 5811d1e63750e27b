/*
 * The device-under-test plumbing: the adapter's state JSON (every field
 * optional, every bad one named), the adapter call (exit status, stdout,
 * a signal), and the JSON-lines control socket of `rmcpsec node` (one
 * reply per line, errors for non-objects and overlong lines).
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/err.h"
#include "sim/dut.h"
#include "sim/node_ctl.h"

Test(dut_state, client_state_parses)
{
	struct dut_state st;
	char err[200] = "";
	cr_assert_eq(
	    dut_state_parse("{\"power\": \"pre_boot\", \"sa\": {\"spi_in\": \"0x7ad7dc1b\"}, "
			    "\"commits\": 2, \"executed\": {\"reset\": 1, \"power_up\": 3}}",
			    &st, err, sizeof(err)),
	    0, "%s", err);
	cr_expect(st.has_power && st.has_sa && st.has_commits && st.has_executed);
	cr_expect_eq(st.power, PWR_PRE_BOOT);
	cr_expect_eq(st.spi_in, 0x7ad7dc1bu);
	cr_expect_eq(st.commits, 2);
	cr_expect_eq(st.executed[0], 1);
	cr_expect_eq(st.executed[1], 3);
	cr_expect(!st.has_clients);
}

Test(dut_state, missing_fields_are_unreported_not_zero)
{
	struct dut_state st;
	char err[200] = "";
	cr_assert_eq(dut_state_parse("{\"sa\": null}", &st, err, sizeof(err)), 0, "%s", err);
	cr_expect(st.has_sa, "null is a report: no SA");
	cr_expect_eq(st.spi_in, 0);
	cr_expect(!st.has_power && !st.has_commits && !st.has_executed && !st.has_clients);
}

Test(dut_state, server_clients_parse)
{
	struct dut_state st;
	char err[200] = "";
	cr_assert_eq(dut_state_parse("{\"clients\": {\"c1\": {\"spi_out\": \"0xa664ac12\"}, "
				     "\"c2\": {\"spi_out\": null}}}",
				     &st, err, sizeof(err)),
		     0, "%s", err);
	cr_assert(st.has_clients);
	cr_assert_eq(st.nclients, 2);
	cr_expect_str_eq(st.clients[0].name, "c1");
	cr_expect_eq(st.clients[0].spi_out, 0xa664ac12u);
	cr_expect_eq(st.clients[1].spi_out, 0);
}

static void
expect_bad(const char *text, const char *field)
{
	struct dut_state st;
	char err[200] = "";
	cr_assert_neq(dut_state_parse(text, &st, err, sizeof(err)), 0, "accepted: %s", text);
	cr_expect(strstr(err, field), "error '%s' does not name '%s'", err, field);
}

Test(dut_state, bad_fields_are_named)
{
	expect_bad("[1, 2]", "not one JSON object");
	expect_bad("{\"power\": \"dancing\"}", "'power'");
	expect_bad("{\"power\": 3}", "'power'");
	expect_bad("{\"sa\": {\"spi_in\": \"0x0\"}}", "'sa.spi_in'");
	expect_bad("{\"sa\": {\"spi_in\": \"0x1ffffffff\"}}", "'sa.spi_in'");
	expect_bad("{\"sa\": {\"spi_in\": \"zz\"}}", "'sa.spi_in'");
	expect_bad("{\"sa\": 7}", "'sa'");
	expect_bad("{\"commits\": -1}", "'commits'");
	expect_bad("{\"executed\": {\"reset\": \"once\"}}", "'executed'");
	expect_bad("{\"clients\": {\"c1\": {\"spi_out\": \"nope\"}}}", "'clients.spi_out'");
	expect_bad("{\"clients\": []}", "'clients'");
	expect_bad("{\"power\": \"os_up\"", "not one JSON object");
}

Test(dut_state, too_many_clients_refused)
{
	char text[2048] = "{\"clients\": {";
	for (int i = 0; i <= DUT_CLIENTS; i++) {
		char one[48];
		snprintf(one, sizeof(one), "%s\"c%d\": {\"spi_out\": null}", i ? ", " : "", i);
		strcat(text, one);
	}
	strcat(text, "}}");
	expect_bad(text, "'clients'");
}

Test(dut_call, status_and_stdout)
{
	char out[DUT_OUT_MAX], err[200] = "";
	const char *args[] = {"state", NULL};
	cr_assert_eq(dut_call("printf '%s:' \"$1\"; echo '{\"power\": \"os_up\"}'; exit 3; :", args,
			      out, sizeof(out), err, sizeof(err)),
		     DUT_EXIT_UNSUPPORTED, "%s", err);
	cr_expect_str_eq(out, "state:{\"power\": \"os_up\"}\n");
	const char *none[] = {"end", NULL};
	cr_expect_eq(dut_call("true", none, out, sizeof(out), err, sizeof(err)), 0);
	cr_expect_str_eq(out, "");
	cr_expect_eq(dut_call("kill -9 $$; :", none, out, sizeof(out), err, sizeof(err)), RMC_EIO);
	cr_expect(strstr(err, "signal 9"), "%s", err);
}

static void
echo_cmd(void *ctx, json_t *req, json_t *reply)
{
	(*(int *)ctx)++;
	json_object_set(reply, "cmd", json_object_get(req, "cmd"));
}

/* Serves until the client's reply lines have all arrived (bounded). */
static void
pump(struct node_ctl *c, int *calls, int fd, char *got, size_t cap, int want_lines)
{
	size_t at = 0;
	int lines = 0;
	for (int round = 0; round < 200 && lines < want_lines; round++) {
		struct pollfd pfd[1 + NODE_CTL_CLIENTS];
		size_t n = node_ctl_pollfds(c, pfd);
		poll(pfd, n, 10);
		node_ctl_service(c, pfd, n, echo_cmd, calls);
		struct pollfd me = {.fd = fd, .events = POLLIN};
		while (poll(&me, 1, 0) == 1 && at < cap - 1) {
			ssize_t k = read(fd, got + at, cap - 1 - at);
			if (k <= 0)
				break;
			for (ssize_t i = 0; i < k; i++)
				lines += got[at + (size_t)i] == '\n';
			at += (size_t)k;
		}
		got[at] = '\0';
	}
}

Test(node_ctl, json_lines_answered)
{
	char dir[] = "/tmp/rmcpsec-ctl.XXXXXX", path[64], err[200] = "", got[4096];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	struct node_ctl c;
	int calls = 0;
	cr_assert_eq(node_ctl_open(&c, path, err, sizeof(err)), 0, "%s", err);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* two requests in one write, then junk, then a line too long */
	const char *msgs = "{\"cmd\": \"state\"}\n{\"cmd\": \"stop\"}\nnot json\n";
	cr_assert_eq(write(fd, msgs, strlen(msgs)), (ssize_t)strlen(msgs));
	pump(&c, &calls, fd, got, sizeof(got), 3);
	cr_expect_eq(calls, 2, "the handler sees only the JSON objects");
	cr_expect(strstr(got, "{\"ok\":true,\"cmd\":\"state\"}\n{\"ok\":true,\"cmd\":\"stop\"}\n"),
		  "%s", got);
	cr_expect(strstr(got, "\"ok\":false") && strstr(got, "not a JSON object"), "%s", got);
	char big[NODE_CTL_LINE + 10];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	pump(&c, &calls, fd, got, sizeof(got), 1);
	cr_expect(strstr(got, "request line too long"), "%s", got);
	close(fd);
	node_ctl_close(&c);
	cr_expect_neq(access(path, F_OK), 0, "the socket file is removed");
	rmdir(dir);
}

/* A client that asks and hangs up before the answer: the node lives on (no SIGPIPE). */
Test(node_ctl, client_gone_before_the_answer)
{
	char dir[] = "/tmp/rmcpsec-ctl.XXXXXX", path[64], err[200] = "", got[256];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	struct node_ctl c;
	int calls = 0;
	cr_assert_eq(node_ctl_open(&c, path, err, sizeof(err)), 0, "%s", err);
	for (int k = 0; k < 3; k++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		const char *req = "{\"cmd\": \"state\"}\n";
		cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
		close(fd); /* gone before the node answers */
		for (int round = 0; round < 20; round++) {
			struct pollfd pfd[1 + NODE_CTL_CLIENTS];
			size_t n = node_ctl_pollfds(&c, pfd);
			poll(pfd, n, 5);
			node_ctl_service(&c, pfd, n, echo_cmd, &calls);
		}
	}
	cr_expect_eq(calls, 3, "every request was still answered (into the void)");
	/* and the socket still serves a client that stays */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(write(fd, "{\"cmd\": \"state\"}\n", 17), 17);
	pump(&c, &calls, fd, got, sizeof(got), 1);
	cr_expect(strstr(got, "\"ok\":true"), "%s", got);
	close(fd);
	node_ctl_close(&c);
	rmdir(dir);
}
