/* Scenario files: `req:` tags on expectations and `not_applicable:`, checked against the catalogue.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/req.h"
#include "sim/scenario.h"

static char path[64];

static int
load_text(const char *text, struct scenario *sc, char *err)
{
	strcpy(path, "/tmp/rmcpsec-scnreq-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = scenario_load(path, sc, err, SCN_ERR);
	unlink(path);
	return rc;
}

static void
expect_error(const char *text, int line, const char *field, const char *why)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[160];
	cr_assert_neq(load_text(text, &sc, err), 0, "loaded a bad file");
	snprintf(want, sizeof(want), "%s:%d: field '%s': %s", path, line, field, why);
	cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

#define HEAD "name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n  - name: c\n"

Test(scenario_req, tags_load_as_catalogue_indices)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	int rc =
	    load_text(HEAD "expect:\n"
			   "  - client: c\n    power: os_up\n    req: REQ-MGMT-EXECUTED\n"
			   "  - seen: {msg: any}\n    req: [REQ-F6-R3-STORED-SA, REQ-IPSEC-ICV]\n"
			   "  - client: c\n    executed: reset\n"
			   "not_applicable:\n  REQ-F6-R7-FAILOVER: one server only\n",
		      &sc, err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(sc.nexpects, 3);
	cr_assert_eq(sc.expects[0].nreq, 1);
	cr_assert_eq(sc.expects[0].req[0], req_index("REQ-MGMT-EXECUTED"));
	cr_assert_eq(sc.expects[1].kind, SCN_EXPECT_SEEN);
	cr_assert_eq(sc.expects[1].nreq, 2);
	cr_assert_eq(sc.expects[1].req[1], req_index("REQ-IPSEC-ICV"));
	cr_assert_eq(sc.expects[2].nreq, 0);
	int k = req_index("REQ-F6-R7-FAILOVER");
	cr_assert_eq(sc.na[k].line, 16);
	cr_assert_str_eq(sc.na[k].reason, "one server only");
	cr_assert_eq(sc.na[req_index("REQ-IPSEC-ICV")].line, 0);
	scenario_free(&sc);
}

Test(scenario_req, unknown_id_names_file_line_and_field)
{
	expect_error(HEAD "expect:\n  - client: c\n    power: os_up\n    req: REQ-NOPE\n", 10,
		     "req", "unknown requirement 'REQ-NOPE'");
	expect_error(HEAD "expect:\n  - seen: {msg: any}\n    req: [REQ-IPSEC-ICV, REQ-X]\n", 9,
		     "req", "unknown requirement 'REQ-X'");
}

Test(scenario_req, malformed_tags)
{
	expect_error(HEAD "expect:\n  - client: c\n    power: os_up\n    req: []\n", 10, "req",
		     "an empty list");
	expect_error(HEAD "expect:\n  - client: c\n    power: os_up\n    req: {a: b}\n", 10, "req",
		     "expected a requirement id");
	expect_error(HEAD "expect:\n  - client: c\n    power: os_up\n"
			  "    req: [REQ-IPSEC-ICV, REQ-IPSEC-ICV]\n",
		     10, "req", "'REQ-IPSEC-ICV' given twice");
	/* seen still stands alone: req is the only key allowed beside it */
	expect_error(HEAD "expect:\n  - seen: {msg: any}\n    client: c\n    req: REQ-IPSEC-ICV\n",
		     8, "seen", "stands alone");
}

Test(scenario_req, not_applicable_is_checked)
{
	expect_error(HEAD "not_applicable:\n  REQ-NOPE: why\n", 8, "not_applicable",
		     "unknown requirement 'REQ-NOPE'");
	expect_error(HEAD "not_applicable: [REQ-F6-R7-FAILOVER]\n", 7, "not_applicable",
		     "expected a mapping REQ-ID: reason");
	expect_error(HEAD "not_applicable:\n  REQ-F6-R7-FAILOVER: \"\"\n", 8, "not_applicable",
		     "'REQ-F6-R7-FAILOVER' needs a reason");
	expect_error(HEAD "expect:\n  - client: c\n    power: os_up\n    req: REQ-MGMT-EXECUTED\n"
			  "not_applicable:\n  REQ-MGMT-EXECUTED: no\n",
		     12, "not_applicable",
		     "'REQ-MGMT-EXECUTED' is checked by the expectation at line 8");
}
