/* The scenario loader: a good file loads; each kind of bad file names file:line and field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/fault.h"
#include "sim/scenario.h"
#include "sim/tests/scenario_text.h"

static int
load_text(const char *text, struct scenario *sc, char *err)
{
	return scenario_load_text(text, sc, err);
}

static void
expect_error(const char *text, int line, const char *field)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[128];
	cr_assert_neq(load_text(text, &sc, err), 0, "loaded a bad file");
	snprintf(want, sizeof(want), "%s:%d: field '%s'", scenario_text_path, line, field);
	cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

static const char *HEAD = "name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n  - name: c\n";

Test(scenario, smoke_file_loads)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(scenario_load(RMCPSEC_SRC_DIR "/scenarios/smoke.yaml", &sc, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(sc.name, "smoke");
	cr_assert(sc.has_seed);
	cr_assert_eq(sc.seed, 7);
	cr_assert_eq(sc.nnodes, 3);
	cr_assert_eq(sc.nactions, 3);
	cr_assert_eq(sc.actions[2].at, 2000000000ULL);
	cr_assert_eq(sc.nodes[1].ip, 0xC0000265u);
	scenario_free(&sc);
}

Test(scenario, durations)
{
	uint64_t ns;
	cr_assert_eq(scn_parse_duration("1.5s", &ns), 0);
	cr_assert_eq(ns, 1500000000ULL);
	cr_assert_eq(scn_parse_duration("250us", &ns), 0);
	cr_assert_eq(ns, 250000ULL);
	cr_assert_eq(scn_parse_duration("2m", &ns), 0);
	cr_assert_eq(ns, 120000000000ULL);
	cr_assert_eq(scn_parse_duration("0.000000001s", &ns), 0);
	cr_assert_eq(ns, 1);
	cr_assert_neq(scn_parse_duration("5", &ns), 0, "a unit is required");
	cr_assert_neq(scn_parse_duration("-1s", &ns), 0);
	cr_assert_neq(scn_parse_duration("1.5 s", &ns), 0);
	cr_assert_neq(scn_parse_duration("99999999999999999999s", &ns), 0);
	cr_assert_neq(scn_parse_duration("", &ns), 0);
}

Test(scenario, unknown_field_is_named)
{
	expect_error("name: t\nduration: 5s\nservers:\n  - name: s\n    colour: red\n", 5,
		     "colour");
}

Test(scenario, bad_time_is_named)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "%stimeline:\n  - at: 1.5x\n    do: reset\n    server: s\n    client: c\n", HEAD);
	expect_error(text, 8, "at");
}

Test(scenario, unknown_client_is_named)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "%stimeline:\n  - at: 1s\n    do: reset\n    server: s\n    client: nobody\n",
		 HEAD);
	expect_error(text, 11, "client");
}

Test(scenario, other_errors)
{
	char text[512];
	expect_error("name: t\nservers:\n  - name: s\n", 1, "duration");
	expect_error("name: t\nduration: 1s\nservers:\n  - name: s\n  - name: s\n", 5, "name");
	expect_error("name: t\nduration: 1s\nservers:\n  - name: s\n    ip: 300.1.1.1\n", 5, "ip");
	expect_error("name: t\nduration: 1s\nservers:\n  - name: s\n    mac: 01:00:00:00:00:01\n",
		     5, "mac");
	expect_error("name: t\nduration: 1s\nclients:\n  - name: c\n    power: sleepy\n", 5,
		     "power");
	expect_error("name: t\nduration: 1s\nlink:\n  mtu: 9000\nservers:\n  - name: s\n", 4,
		     "mtu");
	snprintf(text, sizeof(text), "%stimeline:\n  - at: 1s\n    do: dance\n    server: s\n",
		 HEAD);
	expect_error(text, 9, "do");
	snprintf(text, sizeof(text), "%stimeline:\n  - at: 9s\n    do: discover\n    server: s\n",
		 HEAD);
	expect_error(text, 8, "at");
	snprintf(text, sizeof(text),
		 "%stimeline:\n  - at: 2s\n    do: discover\n    server: s\n  - at: 1s\n    do: "
		 "discover\n    server: s\n",
		 HEAD);
	expect_error(text, 11, "at");
	snprintf(text, sizeof(text), "%sexpect:\n  - seen:\n      - {from: s, msg: hello}\n", HEAD);
	expect_error(text, 9, "msg");
	snprintf(text, sizeof(text), "%sexpect:\n  - client: c\n    executed: presence_ping\n",
		 HEAD);
	expect_error(text, 9, "executed");
	snprintf(text, sizeof(text),
		 "%stimeline:\n  - at: 1s\n    do: power\n    client: c\n    cause: sneeze\n",
		 HEAD);
	expect_error(text, 11, "cause");
}

Test(scenario, yaml_syntax_error_names_the_line)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_neq(load_text("name: t\nduration: [1s\n", &sc, err), 0);
	cr_assert(strstr(err, "YAML syntax"), "%s", err);
}

Test(scenario, missing_file)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_neq(scenario_load("/nonexistent/x.yaml", &sc, err, sizeof(err)), 0);
	cr_assert(strstr(err, "/nonexistent/x.yaml"), "%s", err);
}

/* docs/internals/mechanism.md: key exchange, profile, refresh timing and failover roles. */
Test(scenario, mechanism_errors_are_named)
{
	static const char *SRV = "name: t\nduration: 5s\nsecurity:\n  suite: esp-aes-gcm-128\n";
	char text[512];

	snprintf(text, sizeof(text), "%s  key_exchange: dh\nservers:\n  - name: s\n", SRV);
	expect_error(text, 5, "key_exchange");
	snprintf(text, sizeof(text), "%s  profile: lax\nservers:\n  - name: s\n", SRV);
	expect_error(text, 5, "profile");
	/* Patent Fig. 4: refresh must be smaller than lifetime minus the longest downtime */
	snprintf(text, sizeof(text),
		 "%s  refresh: 50s\n  lifetime: 60s\n  max_downtime: 20s\nservers:\n  - name: s\n",
		 SRV);
	expect_error(text, 5, "refresh");
	snprintf(text, sizeof(text),
		 "%s  refresh: 30s\n  lifetime: 60s\n  max_downtime: 60s\nservers:\n  - name: s\n",
		 SRV);
	expect_error(text, 5, "refresh");
	snprintf(text, sizeof(text),
		 "name: t\nduration: 5s\nsecurity:\n  suite: ah+esp\n"
		 "  key_exchange: ike\nservers:\n  - name: s\n");
	expect_error(text, 5, "key_exchange");
	expect_error("name: t\nduration: 5s\nservers:\n  - name: s\n    role: backup\n", 5, "role");
	expect_error("name: t\nduration: 5s\nservers:\n  - name: s\n    role: secondary\n", 4,
		     "role");
	expect_error("name: t\nduration: 5s\nservers:\n  - name: s\n    role: primary\n"
		     "    heartbeat: 2s\n  - name: b\n    role: secondary\n    takeover: 1s\n",
		     9, "takeover");
	expect_error(
	    "name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n  - name: c\ntimeline:\n"
	    "  - {at: 1s, do: power, server: s, client: c, cause: os_hang}\n",
	    8, "client");
}

Test(scenario, mechanism_file_loads)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(scenario_load(RMCPSEC_SRC_DIR "/scenarios/fig6/row7-failover.yaml", &sc, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert(sc.security.ike);
	cr_assert_eq(sc.security.profile, COMMIT_ROBUST);
	cr_assert_eq(sc.security.timing.refresh, 20ULL * NS_PER_S);
	cr_assert_eq(sc.nodes[0].ha, 1);
	cr_assert_eq(sc.nodes[1].ha, 2);
	cr_assert_eq(sc.nodes[1].takeover_ns, 3ULL * NS_PER_S);
	cr_assert_eq(sc.nfaults, 1);
	cr_assert_eq(sc.faults[0].action, FAULT_HANG, "the primary hangs");
	cr_assert_eq(sc.faults[0].node, 0);
	cr_assert_eq(sc.faults[0].step, FAULT_STEP_ACK, "right after its SA_ACK");
	scenario_free(&sc);
}

/* `ike` and `commit` match any message of that kind; a pattern is described by what it names. */
Test(scenario, kind_names_match_any_message_of_the_kind)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(scenario_load_text("name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n"
					"  - name: c\nexpect:\n"
					"  - {not_seen: {msg: commit}}\n"
					"  - {not_seen: {msg: ike}}\n"
					"  - {not_seen: {msg: sa_ack}}\n",
					&sc, err),
		     0, "%s", err);
	cr_assert_eq(sc.nexpects, 3);
	cr_expect_eq(sc.expects[0].pat[0].msg.kinds, 1u << OBS_COMMIT);
	cr_expect_eq(sc.expects[0].pat[0].msg.type, -1, "any commit step");
	cr_expect_str_eq(scn_msg_name(&sc.expects[0].pat[0]), "commit");
	cr_expect_eq(sc.expects[1].pat[0].msg.kinds, 1u << OBS_IKE);
	cr_expect_str_eq(scn_msg_name(&sc.expects[2].pat[0]), "sa_ack");
	scenario_free(&sc);
}

/* Integers are decimal everywhere in the file, faults included: no hex, no octal. */
Test(scenario, integers_are_decimal)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	expect_error("name: t\nduration: 5s\nsecurity:\n  suite: esp-aes-gcm-128\n"
		     "  replay_window: 0x40\nservers:\n  - name: s\n",
		     5, "replay_window");
	expect_error("name: t\nduration: 5s\nservers:\n  - name: s\nfaults:\n"
		     "  - {do: drop, nth: 0x10}\n",
		     6, "nth");
	cr_assert_eq(load_text("name: t\nduration: 5s\nsecurity:\n  suite: esp-aes-gcm-128\n"
			       "  replay_window: 0100\nservers:\n  - name: s\nfaults:\n"
			       "  - {do: drop, nth: 010}\n",
			       &sc, err),
		     0, "%s", err);
	cr_expect_eq(sc.security.replay_window, 100);
	cr_expect_eq(sc.faults[0].g.nth, 10);
	scenario_free(&sc);
}
