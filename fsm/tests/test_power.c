/* fsm/power: the transition table edge by edge (docs/internals/fsm.md §1), the
 * capabilities of each state (patent Fig. 6 discussion) and the names. */
#include <criterion/criterion.h>

#include "fsm/power.h"

struct edge {
	enum power_state from;
	enum power_cause cause;
	enum power_state to;
};

/* Every legal edge, written out independently of power.c's matrix. */
static const struct edge legal[] = {
    {PWR_OS_UP, PC_OS_HANG, PWR_OS_HUNG},
    {PWR_OS_UP, PC_RESET, PWR_PRE_BOOT},
    {PWR_OS_UP, PC_POWER_DOWN, PWR_SOFT_OFF},
    {PWR_OS_UP, PC_POWER_CYCLE, PWR_PRE_BOOT},
    {PWR_OS_UP, PC_SUSPEND, PWR_OS_SUSPEND},
    {PWR_OS_UP, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_OS_UP, PC_NVRAM_CLEAR, PWR_COLD_BOOT},
    {PWR_OS_UP, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_OS_HUNG, PC_RESET, PWR_PRE_BOOT},
    {PWR_OS_HUNG, PC_POWER_DOWN, PWR_SOFT_OFF},
    {PWR_OS_HUNG, PC_POWER_CYCLE, PWR_PRE_BOOT},
    {PWR_OS_HUNG, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_OS_HUNG, PC_NVRAM_CLEAR, PWR_COLD_BOOT},
    {PWR_OS_HUNG, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_PRE_BOOT, PC_BOOT_COMPLETE, PWR_OS_UP},
    {PWR_PRE_BOOT, PC_RESET, PWR_PRE_BOOT},
    {PWR_PRE_BOOT, PC_POWER_DOWN, PWR_SOFT_OFF},
    {PWR_PRE_BOOT, PC_POWER_CYCLE, PWR_PRE_BOOT},
    {PWR_PRE_BOOT, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_PRE_BOOT, PC_NVRAM_CLEAR, PWR_COLD_BOOT},
    {PWR_PRE_BOOT, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_OS_SUSPEND, PC_RESET, PWR_PRE_BOOT},
    {PWR_OS_SUSPEND, PC_POWER_DOWN, PWR_SOFT_OFF},
    {PWR_OS_SUSPEND, PC_POWER_UP, PWR_OS_UP},
    {PWR_OS_SUSPEND, PC_POWER_CYCLE, PWR_PRE_BOOT},
    {PWR_OS_SUSPEND, PC_WAKE, PWR_OS_UP},
    {PWR_OS_SUSPEND, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_OS_SUSPEND, PC_NVRAM_CLEAR, PWR_COLD_BOOT},
    {PWR_OS_SUSPEND, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_COLD_BOOT, PC_BOOT_COMPLETE, PWR_OS_UP},
    {PWR_COLD_BOOT, PC_RESET, PWR_COLD_BOOT},
    {PWR_COLD_BOOT, PC_POWER_DOWN, PWR_SOFT_OFF},
    {PWR_COLD_BOOT, PC_POWER_CYCLE, PWR_COLD_BOOT},
    {PWR_COLD_BOOT, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_COLD_BOOT, PC_NVRAM_CLEAR, PWR_COLD_BOOT},
    {PWR_COLD_BOOT, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_SOFT_OFF, PC_POWER_UP, PWR_PRE_BOOT},
    {PWR_SOFT_OFF, PC_POWER_CYCLE, PWR_PRE_BOOT},
    {PWR_SOFT_OFF, PC_POWER_LOSS, PWR_MECH_OFF},
    {PWR_SOFT_OFF, PC_FRESH_INSTALL, PWR_COLD_BOOT},
    {PWR_MECH_OFF, PC_POWER_RESTORE, PWR_SOFT_OFF},
    {PWR_MECH_OFF, PC_FRESH_INSTALL, PWR_COLD_BOOT},
};
#define NLEGAL (sizeof legal / sizeof legal[0])

static const struct edge *
find_legal(enum power_state s, enum power_cause c)
{
	for (size_t i = 0; i < NLEGAL; i++)
		if (legal[i].from == s && legal[i].cause == c)
			return &legal[i];
	return NULL;
}

Test(power, every_pair_matches_the_documented_table)
{
	for (int s = 0; s < PWR__COUNT; s++) {
		for (int c = 0; c < PC__COUNT; c++) {
			const struct edge *e = find_legal(s, c);
			enum power_state next = PWR__COUNT;
			int rc = power_step(s, c, &next);

			if (e) {
				cr_expect_eq(rc, 0, "%s --%s--> should be legal",
					     power_state_name(s), power_cause_name(c));
				cr_expect_eq(next, e->to, "%s --%s--> %s, expected %s",
					     power_state_name(s), power_cause_name(c),
					     power_state_name(next), power_state_name(e->to));
			} else {
				cr_expect_eq(rc, -1, "%s --%s--> should be refused",
					     power_state_name(s), power_cause_name(c));
				cr_expect_eq(next, PWR__COUNT, "refused step wrote *next");
			}
			cr_expect_eq(power_legal(s, c), e != NULL);
		}
	}
}

/* The reference client calls power_step on ASF Reset in every powered state. */
Test(power, asf_reset_is_legal_in_every_powered_state)
{
	for (int s = 0; s < PWR__COUNT; s++) {
		enum power_state next;

		if (!power_is_powered(s))
			continue;
		cr_expect_eq(power_step(s, PC_RESET, &next), 0, "reset in %s", power_state_name(s));
		cr_expect(power_is_powered(next));
	}
}

Test(power, reset_during_cold_boot_keeps_no_context)
{
	enum power_state next;

	cr_assert_eq(power_step(PWR_COLD_BOOT, PC_RESET, &next), 0);
	cr_expect_eq(next, PWR_COLD_BOOT);
	cr_expect_not(power_caps(next).context);
}

Test(power, power_up_from_soft_off_goes_through_pre_boot)
{
	enum power_state next;

	cr_assert_eq(power_step(PWR_SOFT_OFF, PC_POWER_UP, &next), 0);
	cr_expect_eq(next, PWR_PRE_BOOT);
	cr_expect_eq(power_step(PWR_OS_UP, PC_POWER_UP, &next), -1, "power-up while on");
}

Test(power, mech_off_only_restores_or_is_replaced)
{
	enum power_state next;

	cr_expect_eq(power_step(PWR_MECH_OFF, PC_RESET, &next), -1);
	cr_expect_eq(power_step(PWR_MECH_OFF, PC_POWER_UP, &next), -1);
	cr_assert_eq(power_step(PWR_MECH_OFF, PC_POWER_RESTORE, &next), 0);
	cr_expect_eq(next, PWR_SOFT_OFF);
}

/* Every state is reachable from a machine just plugged in, and os_up is
 * reachable from every state: no dead ends in the table. */
Test(power, all_states_reachable_and_none_is_a_trap)
{
	for (int start = 0; start < PWR__COUNT; start++) {
		bool seen[PWR__COUNT] = {false};
		int queue[PWR__COUNT], head = 0, tail = 0;

		seen[start] = true;
		queue[tail++] = start;
		while (head < tail) {
			int s = queue[head++];
			for (int c = 0; c < PC__COUNT; c++) {
				enum power_state n;
				if (power_step(s, c, &n) == 0 && !seen[n]) {
					seen[n] = true;
					queue[tail++] = n;
				}
			}
		}
		cr_expect(seen[PWR_OS_UP], "os_up unreachable from %s", power_state_name(start));
		if (start == PWR_MECH_OFF)
			cr_expect_eq(tail, PWR__COUNT, "not every state reachable from mech_off");
	}
}

Test(power, caps_follow_the_patent)
{
	cr_expect(power_caps(PWR_OS_UP).ike);
	for (int s = 0; s < PWR__COUNT; s++) {
		struct power_caps k = power_caps(s);
		if (s != PWR_OS_UP)
			cr_expect_not(k.ike, "IKE only in os_up, not %s", power_state_name(s));
		cr_expect_eq(k.nic_alive, s != PWR_MECH_OFF, "%s", power_state_name(s));
		cr_expect_eq(k.context, s != PWR_COLD_BOOT, "%s", power_state_name(s));
	}
	struct power_caps bad = power_caps(PWR__COUNT);
	cr_expect(!bad.ike && !bad.nic_alive && !bad.context);
}

Test(power, names_round_trip_and_reject_garbage)
{
	for (int s = 0; s < PWR__COUNT; s++) {
		enum power_state back = PWR__COUNT;
		cr_expect_eq(power_state_parse(power_state_name(s), &back), 0);
		cr_expect_eq(back, s);
	}
	for (int c = 0; c < PC__COUNT; c++) {
		enum power_cause back = PC__COUNT;
		cr_expect_eq(power_cause_parse(power_cause_name(c), &back), 0);
		cr_expect_eq(back, c);
	}
	enum power_state s = PWR_OS_UP;
	enum power_cause c = PC_RESET;
	cr_expect_eq(power_state_parse("OS_UP", &s), -1);
	cr_expect_eq(power_state_parse("", &s), -1);
	cr_expect_eq(power_state_parse(NULL, &s), -1);
	cr_expect_eq(power_cause_parse("resetx", &c), -1);
	cr_expect_eq(s, PWR_OS_UP);
	cr_expect_eq(c, PC_RESET);
	cr_expect_str_eq(power_state_name(PWR__COUNT), "?");
	cr_expect_str_eq(power_cause_name(-1), "?");
	cr_expect_eq(power_step(PWR__COUNT, PC_RESET, &s), -1);
	cr_expect_eq(power_step(PWR_OS_UP, PC__COUNT, &s), -1);
}
