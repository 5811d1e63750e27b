/* A client's `commit:` field: none (a plain IPsec host) or handshake (the default). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/scenario.h"
#include "sim/tests/scenario_text.h"

static const char *IKE_HEAD = "name: t\nduration: 5s\nsecurity:\n  suite: esp-aes-gcm-128\n"
			      "  key_exchange: ike\nservers:\n  - name: s\nclients:\n";

static void
load_ok(const char *clients, struct scenario *sc)
{
	char text[512], err[SCN_ERR] = "";
	snprintf(text, sizeof(text), "%s%s", IKE_HEAD, clients);
	cr_assert_eq(scenario_load_text(text, sc, err), 0, "%s", err);
}

static void
load_bad(const char *text, int line, const char *why)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[128];
	cr_assert_neq(scenario_load_text(text, &sc, err), 0, "loaded a bad file");
	snprintf(want, sizeof(want), "%s:%d: field 'commit': ", scenario_text_path, line);
	cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
	cr_assert(strstr(err, why), "error '%s' lacks '%s'", err, why);
}

Test(scenario_commit, none_and_default)
{
	struct scenario sc;
	load_ok(
	    "  - name: c1\n    commit: none\n  - name: c2\n  - name: c3\n    commit: handshake\n",
	    &sc);
	cr_assert_eq(sc.nnodes, 4);
	cr_assert(sc.nodes[1].no_commit);
	cr_assert_not(sc.nodes[2].no_commit, "the patent's handshake is the default");
	cr_assert_not(sc.nodes[3].no_commit);
	scenario_free(&sc);
}

Test(scenario_commit, unknown_value_is_named)
{
	char text[512];
	snprintf(text, sizeof(text), "%s  - name: c1\n    commit: later\n", IKE_HEAD);
	load_bad(text, 10, "expected none or handshake, got 'later'");
}

Test(scenario_commit, none_needs_ike)
{
	load_bad("name: t\nduration: 5s\nsecurity:\n  suite: esp-aes-gcm-128\nservers:\n"
		 "  - name: s\nclients:\n  - name: c1\n    commit: none\n",
		 9, "key_exchange: ike");
	load_bad("name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n  - name: c1\n"
		 "    commit: none\n",
		 7, "key_exchange: ike");
}

Test(scenario_commit, servers_have_no_commit_field)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *text = "name: t\nduration: 5s\nservers:\n  - name: s\n    commit: none\n";
	cr_assert_neq(scenario_load_text(text, &sc, err), 0);
	cr_assert(strstr(err, ":5: field 'commit'"), "%s", err);
}
