/* fsm/policy: patent Fig. 6 rows 2-9, one named test each quoting the row,
 * totality of the table, the clear-traffic gate and the JSON export. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsm/policy.h"

static const struct fig6_row *
expect_row(enum power_state c, enum power_state s, int row, const char *quote)
{
	const struct fig6_row *r = fig6_lookup(c, s);

	cr_assert_not_null(r, "%s x %s", power_state_name(c), power_state_name(s));
	cr_assert_eq(r->row, row, "%s x %s gave row %d", power_state_name(c), power_state_name(s),
		     r->row);
	cr_expect(r->patent);
	cr_expect_str_eq(r->text, quote);
	cr_expect_eq(fig6_row_by_number(row), r);
	return r;
}

static void
expect_frozen_stored_sa(const struct fig6_row *r)
{
	cr_expect(r->secure);
	cr_expect_eq(r->sa, FIG6_SA_STORED, "the stored SA, not updated");
	cr_expect_not(r->refresh, "no IKE on the client: no refresh");
	cr_expect_not(r->clear.allowed);
	cr_expect_not(r->failover);
}

Test(fig6, row2_os_up_os_up,
     .description = "Row 2 (OS up / OS up): \"IPSec stack on both client and server systems Newly "
		    "negotiated SA Updated in client system if there is successful completion of "
		    "SA refresh\"")
{
	const struct fig6_row *r =
	    expect_row(PWR_OS_UP, PWR_OS_UP, 2,
		       "IPSec stack on both client and server systems Newly negotiated SA Updated "
		       "in client system if there is successful completion of SA refresh");
	cr_expect(r->secure);
	cr_expect_eq(r->sa, FIG6_SA_NEW_AFTER_COMMIT);
	cr_expect(r->refresh);
	cr_expect_not(r->clear.allowed);
	cr_expect_not(r->failover);
}

#define FROZEN                                                                                     \
	"IPSec stack not on client system Previously negotiated SA stored in client system is "    \
	"inhibited from being updated"

Test(fig6, row3_os_hung_os_up, .description = "Row 3 (OS hung / OS up): \"" FROZEN "\"")
{
	expect_frozen_stored_sa(expect_row(PWR_OS_HUNG, PWR_OS_UP, 3, FROZEN));
}

Test(fig6, row4_pre_boot_os_up, .description = "Row 4 (Pre-boot / OS up): \"" FROZEN "\"")
{
	expect_frozen_stored_sa(expect_row(PWR_PRE_BOOT, PWR_OS_UP, 4, FROZEN));
}

Test(fig6, row5_os_suspend_os_up, .description = "Row 5 (OS suspend / OS up): \"" FROZEN "\"")
{
	expect_frozen_stored_sa(expect_row(PWR_OS_SUSPEND, PWR_OS_UP, 5, FROZEN));
}

#define ROW6                                                                                       \
	"Client system does not have any security context Configuration option is provided for "   \
	"managing client system without security"

Test(fig6, row6_cold_boot_os_up, .description = "Row 6 (Cold-boot / OS up): \"" ROW6 "\"")
{
	const struct fig6_row *r = expect_row(PWR_COLD_BOOT, PWR_OS_UP, 6, ROW6);

	cr_expect_not(r->secure);
	cr_expect_eq(r->sa, FIG6_SA_NONE);
	cr_expect_not(r->refresh);
	cr_expect_not(r->failover);
	cr_expect(fig6_clear_permitted(r, true, FIG6_PORT_CLEAR, true));
	cr_expect_not(fig6_clear_permitted(r, false, FIG6_PORT_CLEAR, true), "needs config bit");
	cr_expect_not(fig6_clear_permitted(r, true, FIG6_PORT_SECURE, true), "only port 623");
	cr_expect_not(fig6_clear_permitted(r, true, FIG6_PORT_CLEAR, false), "only restricted");
	cr_expect_not(r->clear.unilateral);
}

#define ROW7                                                                                       \
	"Client system is unmanageable by OS hung server system. Fault tolerant system is "        \
	"provided for switching control to secondary server system"

Test(fig6, row7_any_os_hung, .description = "Row 7 (Any state / OS hung): \"" ROW7 "\"")
{
	for (int c = 0; c < PWR__COUNT; c++) {
		const struct fig6_row *r = expect_row(c, PWR_OS_HUNG, 7, ROW7);
		cr_expect(r->failover);
		cr_expect_not(r->secure, "unmanageable by the hung primary");
		cr_expect_not(r->refresh);
		cr_expect_not(r->clear.allowed);
	}
}

#define ROW8                                                                                       \
	"Server system does not have any security context Configuration option is provided for "   \
	"managing client system without security"

Test(fig6, row8_hung_or_pre_boot_cold_boot,
     .description = "Row 8 (OS hung / Pre-boot / Cold Boot): \"" ROW8 "\"")
{
	enum power_state clients[] = {PWR_OS_HUNG, PWR_PRE_BOOT};

	for (size_t i = 0; i < 2; i++) {
		const struct fig6_row *r = expect_row(clients[i], PWR_COLD_BOOT, 8, ROW8);
		cr_expect_not(r->secure);
		cr_expect_eq(r->sa, FIG6_SA_NONE);
		cr_expect(r->clear.unilateral, "\"the client system takes unilateral action\"");
		cr_expect(fig6_clear_permitted(r, true, FIG6_PORT_CLEAR, true));
		cr_expect_not(fig6_clear_permitted(r, false, FIG6_PORT_CLEAR, true));
		cr_expect_not(fig6_clear_permitted(r, true, FIG6_PORT_CLEAR, false));
		cr_expect_not(r->failover);
	}
}

#define ROW9                                                                                       \
	"Neither system has any security context Configuration option is provided for allowing "   \
	"traffic to be communicated in the clear"

Test(fig6, row9_cold_boot_cold_boot, .description = "Row 9 (Cold Boot / Cold Boot): \"" ROW9 "\"")
{
	const struct fig6_row *r = expect_row(PWR_COLD_BOOT, PWR_COLD_BOOT, 9, ROW9);

	cr_expect_not(r->secure);
	cr_expect_eq(r->sa, FIG6_SA_NONE);
	cr_expect(fig6_clear_permitted(r, true, FIG6_PORT_CLEAR, false), "no restriction named");
	cr_expect_not(fig6_clear_permitted(r, false, FIG6_PORT_CLEAR, false));
	cr_expect_not(fig6_clear_permitted(r, true, FIG6_PORT_SECURE, false));
}

Test(fig6, every_pair_matches_exactly_one_row)
{
	size_t n;
	const struct fig6_row *rows = fig6_rows(&n);

	for (int c = 0; c < PWR__COUNT; c++) {
		for (int s = 0; s < PWR__COUNT; s++) {
			int hits = 0;
			for (size_t i = 0; i < n; i++)
				hits += (rows[i].client & FIG6_BIT(c)) &&
					(rows[i].server & FIG6_BIT(s));
			cr_expect_eq(hits, 1, "%s x %s matches %d rows", power_state_name(c),
				     power_state_name(s), hits);
		}
	}
	cr_expect_null(fig6_lookup(PWR__COUNT, PWR_OS_UP));
	cr_expect_null(fig6_row_by_number(1));
	cr_expect_null(fig6_row_by_number(10), "derived rows are not patent rows");
}

/* A row's fields must agree with each other and with the power states. */
Test(fig6, rows_are_consistent)
{
	size_t n;
	const struct fig6_row *rows = fig6_rows(&n);

	for (size_t i = 0; i < n; i++) {
		const struct fig6_row *r = &rows[i];
		cr_expect_eq(r->secure, r->sa != FIG6_SA_NONE, "row %d", r->row);
		cr_expect(!(r->secure && r->failover), "row %d", r->row);
		cr_expect(!(r->secure && r->clear.allowed), "row %d", r->row);
		cr_expect_eq(r->clear.allowed, r->clear.port == FIG6_PORT_CLEAR, "row %d", r->row);
		cr_expect_eq(r->patent, r->row >= 2 && r->row <= 9, "row %d", r->row);
		for (int c = 0; c < PWR__COUNT; c++) {
			if (!(r->client & FIG6_BIT(c)))
				continue;
			/* a refresh needs IKE on the client; a stored SA, a context */
			if (r->refresh)
				cr_expect(power_caps(c).ike, "row %d", r->row);
			if (r->sa == FIG6_SA_STORED)
				cr_expect(power_caps(c).context, "row %d", r->row);
		}
	}
	cr_expect_not(fig6_clear_permitted(NULL, true, FIG6_PORT_CLEAR, true));
}

Test(fig6, json_is_complete_and_valid)
{
	static char buf[16384];
	int len = fig6_policy_json(buf, sizeof buf);

	cr_assert_gt(len, 0);
	cr_expect_eq((size_t)len, strlen(buf));
	cr_expect_eq(buf[0], '[');
	cr_expect_eq(buf[len - 1], ']');
	cr_expect_not_null(strstr(buf, "\"row\":9,\"source\":\"patent\""));
	cr_expect_not_null(strstr(buf, ROW7));
	cr_expect_not_null(strstr(buf, "\"sa\":\"new_after_commit\""));
	cr_expect_not_null(strstr(buf, "\"client\":[\"os_hung\",\"pre_boot\"]"));

	/* Validated by a real parser when one is present. */
	char path[] = "/tmp/fig6-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(buf, f);
	fclose(f);
	char cmd[128];
	snprintf(cmd, sizeof cmd,
		 "/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); "
		 "assert len(t)==12' %s",
		 path);
	int rc = system(cmd);
	unlink(path);
	cr_expect_eq(rc, 0, "python json.load rejected the export");
}

/* Every too-small buffer is refused and nothing is written past cap. */
Test(fig6, json_truncation_is_refused_at_every_length)
{
	static char full[16384], buf[16384 + 1];
	int len = fig6_policy_json(full, sizeof full);

	cr_assert_gt(len, 0);
	cr_expect_eq(fig6_policy_json(NULL, 10), -1);
	cr_expect_eq(fig6_policy_json(buf, 0), -1);
	for (size_t cap = 1; cap <= (size_t)len; cap++) {
		memset(buf, 'Z', sizeof buf);
		cr_assert_eq(fig6_policy_json(buf, cap), -1, "cap %zu", cap);
		cr_assert_eq(buf[cap], 'Z', "wrote past cap %zu", cap);
		cr_assert(memchr(buf, '\0', cap) != NULL, "not terminated at cap %zu", cap);
	}
	cr_expect_eq(fig6_policy_json(buf, (size_t)len + 1), len);
}
