/* The verifier's policy: defaults, setters, and the key=value file. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcap/verify.h"
#include "pcap/verify_seen.h"
#include "proto/err.h"
#include "proto/rmcp.h"

static char dir[64], path[96];

static void
write_policy(const char *text)
{
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/rmcpsec-policy-%s", six);
		cr_assert_not_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/policy", dir);
	}
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void
cleanup(void)
{
	if (dir[0]) {
		unlink(path);
		rmdir(dir);
	}
}

Test(policy, defaults, .fini = cleanup)
{
	struct verify_policy p;

	verify_policy_default(&p);
	cr_assert(p.clear_allowed);
	cr_assert_eq(p.clear_port, RMCP_PORT_CLEAR);
	cr_assert(p.commit_under_new_sa);
	cr_assert_eq(p.nclear_windows, 0);
	cr_assert_eq(p.nallowed_dups, 0);
	static const uint8_t std[] = {0x10, 0x11, 0x12, 0x13, 0x40, 0x41, 0x42, 0x80, 0x81, 0x82};
	unsigned allowed = 0;
	for (unsigned t = 0; t < 256; t++)
		allowed += verify_policy_type_allowed(&p, (uint8_t)t);
	cr_assert_eq(allowed, sizeof(std));
	for (size_t i = 0; i < sizeof(std); i++)
		cr_assert(verify_policy_type_allowed(&p, std[i]));
	verify_policy_free(&p);
}

Test(policy, key_value_file, .fini = cleanup)
{
	struct verify_policy p;
	char err[256];

	write_policy("# a policy\n"
		     "clear = no\n"
		     "  clear_port=700  \n"
		     "clear_types = 0x80, 0x81\n"
		     "clear_window = 5-10\n"
		     "clear_window = 20-30\n"
		     "allow_dup = 7,3\n"
		     "allow_dup = 12\n"
		     "commit_under_new_sa = false\n");
	verify_policy_default(&p);
	cr_assert_eq(verify_policy_load(&p, path, err, sizeof(err)), 0, "%s", err);
	cr_assert(!p.clear_allowed);
	cr_assert_eq(p.clear_port, 700);
	cr_assert(verify_policy_type_allowed(&p, 0x80));
	cr_assert(verify_policy_type_allowed(&p, 0x81));
	cr_assert(!verify_policy_type_allowed(&p, 0x82));
	cr_assert(!verify_policy_type_allowed(&p, 0x10));
	cr_assert_eq(p.nclear_windows, 2);
	cr_assert_eq(p.clear_windows[1].from_ns, 20);
	cr_assert_eq(p.clear_windows[1].to_ns, 30);
	cr_assert_eq(p.nallowed_dups, 3);
	cr_assert_eq(p.allowed_dups[2], 12);
	cr_assert(!p.commit_under_new_sa);
	verify_policy_free(&p);

	write_policy("clear_types = none\n");
	verify_policy_default(&p);
	cr_assert_eq(verify_policy_load(&p, path, err, sizeof(err)), 0, "%s", err);
	for (unsigned t = 0; t < 256; t++)
		cr_assert(!verify_policy_type_allowed(&p, (uint8_t)t));
	verify_policy_free(&p);
}

Test(policy, bad_files_name_the_line, .fini = cleanup)
{
	static const char *bad[] = {
	    "clear = maybe\n",	     "colour = blue\n",	     "no equals sign\n",
	    "clear_port = 0\n",	     "clear_port = 65536\n", "clear_port = -1\n",
	    "clear_types = 0x100\n", "clear_types = ping\n", "clear_window = 10-5\n",
	    "clear_window = 10\n",   "clear_window = a-b\n", "allow_dup = 0\n",
	    "allow_dup = 1,,x\n",    "allow_dup = -3\n",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct verify_policy p;
		char text[128];
		snprintf(text, sizeof(text), "# first\n%s", bad[i]);
		write_policy(text);
		verify_policy_default(&p);
		cr_assert_lt(verify_policy_load(&p, path, err, sizeof(err)), 0, "accepted: %s",
			     bad[i]);
		cr_assert_not_null(strstr(err, ":2:"), "%s", err);
		verify_policy_free(&p);
	}
	struct verify_policy p;
	verify_policy_default(&p);
	cr_assert_eq(verify_policy_load(&p, "/nonexistent/policy", err, sizeof(err)), RMC_EIO);
	verify_policy_free(&p);
}

Test(policy, setters_refuse_nonsense)
{
	struct verify_policy p;

	verify_policy_default(&p);
	cr_assert_eq(verify_policy_add_window(&p, 10, 10), RMC_EINVAL);
	cr_assert_eq(verify_policy_add_dup(&p, 0), RMC_EINVAL);
	verify_policy_set_type(&p, 0x80, false);
	cr_assert(!verify_policy_type_allowed(&p, 0x80));
	verify_policy_set_type(&p, 0xff, true);
	cr_assert(verify_policy_type_allowed(&p, 0xff));
	verify_policy_free(&p);
	verify_policy_free(&p);
}

/* The verifier's memory grows with the trace and keeps every key apart. */
Test(seen, many_keys_and_collisions)
{
	struct seen s = {0};
	bool fresh;
	uint64_t *v;

	for (uint64_t i = 0; i < 100000; i++) {
		cr_assert_not_null(v = seen_get(&s, i % 7, i, &fresh));
		cr_assert(fresh);
		*v = i + 1;
	}
	cr_assert_eq(s.n, 100000);
	cr_assert_leq(2 * s.n, s.cap);
	for (uint64_t i = 0; i < 100000; i++) {
		cr_assert_not_null(v = seen_get(&s, i % 7, i, &fresh));
		cr_assert(!fresh);
		cr_assert_eq(*v, i + 1);
	}
	cr_assert_not_null(seen_get(&s, 8, 0, &fresh));
	cr_assert(fresh, "(8, 0) differs from every (i %% 7, i)");
	seen_free(&s);
	seen_free(&s);
}
