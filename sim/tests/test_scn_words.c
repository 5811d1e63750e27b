/*
 * The `msg:` vocabulary is one table: every word loads under `expect:` and
 * under `faults:` into the same class of frames and names that class back;
 * an unknown word is refused with the same message in both places.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/fault.h"
#include "sim/scn_words.h"
#include "sim/tests/scenario_text.h"

static const char *HEAD = "name: t\nduration: 5s\nservers:\n  - name: s\nclients:\n  - name: c\n";

/* Loads `word` as an expectation's pattern and as a fault rule's msg. */
static int
load_word(const char *word, struct scenario *sc, char *err)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "%sfaults:\n  - {do: drop, msg: %s}\nexpect:\n  - {not_seen: {msg: %s}}\n", HEAD,
		 word, word);
	return scenario_load_text(text, sc, err);
}

static void
check_word(const char *word)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(load_word(word, &sc, err), 0, "%s: %s", word, err);
	const struct msg_sel *e = &sc.expects[0].pat[0].msg, *f = &sc.faults[0].m.msg;
	cr_expect(e->kinds == f->kinds && e->type == f->type, "%s: expect and faults differ", word);
	cr_expect_str_eq(scn_msg_name(&sc.expects[0].pat[0]), word);
	cr_expect_str_eq(scn_msg_word(f), word);
	scenario_free(&sc);
}

Test(scn_words, expect_and_faults_accept_the_same_words)
{
	char list[512], *save = NULL;
	unsigned n = 0;
	scn_msg_words(list, sizeof(list));
	for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save), n++)
		check_word(w);
	cr_expect_eq(n, 17, "asf, commit and its 3 steps, ike and its 4 exchanges, 7 kinds");
	for (unsigned t = 0; t < 256; t++)
		if (strcmp(scn_asf_name((uint8_t)t), "unknown") != 0) {
			check_word(scn_asf_name((uint8_t)t));
			n++;
		}
	cr_expect_eq(n, 27, "and the 10 ASF types");
}

Test(scn_words, arp_is_a_word_of_expect_too)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(load_word("arp", &sc, err), 0, "%s", err);
	const struct msg_sel *s = &sc.expects[0].pat[0].msg;
	struct obs req = {.kind = OBS_ARP_REQUEST}, rep = {.kind = OBS_ARP_REPLY};
	struct obs asf = {.kind = OBS_ASF, .asf_type = ASF_PRESENCE_PING};
	cr_expect(msg_sel_match(s, &req) && msg_sel_match(s, &rep));
	cr_expect_not(msg_sel_match(s, &asf));
	scenario_free(&sc);
}

/* The text after "field 'msg': " of the error for an unknown word. */
static void
why_refused(const char *text, char *why, size_t cap)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_neq(scenario_load_text(text, &sc, err), 0, "loaded: %s", text);
	const char *at = strstr(err, "field 'msg': ");
	cr_assert_not_null(at, "%s", err);
	snprintf(why, cap, "%s", at + strlen("field 'msg': "));
}

Test(scn_words, an_unknown_word_is_refused_alike)
{
	char text[512], in_expect[SCN_ERR], in_faults[SCN_ERR];
	snprintf(text, sizeof(text), "%sexpect:\n  - {not_seen: {msg: pong}}\n", HEAD);
	why_refused(text, in_expect, sizeof(in_expect));
	snprintf(text, sizeof(text), "%sfaults:\n  - {do: drop, msg: pong}\n", HEAD);
	why_refused(text, in_faults, sizeof(in_faults));
	cr_expect_str_eq(in_expect, in_faults);
	cr_expect(strstr(in_expect, "unknown message 'pong' (an ASF name such as presence_pong, "),
		  "%s", in_expect);
	cr_expect(strstr(in_expect, "arp, arp_request"), "the words are listed: %s", in_expect);
}

Test(scn_words, a_class_matches_its_frames)
{
	struct msg_sel auth = {1u << OBS_IKE, IKEV2_EXCH_IKE_AUTH}, any = {0, -1};
	struct obs o = {.kind = OBS_IKE, .ike_exch = IKEV2_EXCH_IKE_AUTH};
	cr_expect(msg_sel_match(&auth, &o));
	cr_expect(msg_sel_match(&any, &o));
	o.ike_exch = IKEV2_EXCH_INFORMATIONAL;
	cr_expect_not(msg_sel_match(&auth, &o));
	o = (struct obs){.kind = OBS_COMMIT, .asf_type = ASF_COMMIT_ACK};
	cr_expect_not(msg_sel_match(&auth, &o));
	struct msg_sel ack;
	cr_assert_eq(scn_msg_parse("sa_ack", &ack), 0);
	cr_expect(msg_sel_match(&ack, &o));
	cr_expect_eq(scn_msg_parse("SA_ACK", &ack), -1);
}

Test(scn_words, via)
{
	enum scn_via v;
	cr_assert_eq(scn_via_parse("secure", &v), 0);
	cr_expect_eq(v, SCN_VIA_SECURE);
	cr_expect(scn_via_admits(v, OBS_ESP) && scn_via_admits(v, OBS_AH_ESP));
	cr_expect_not(scn_via_admits(v, OBS_CLEAR));
	cr_assert_eq(scn_via_parse("clear", &v), 0);
	cr_expect(scn_via_admits(v, OBS_CLEAR) && !scn_via_admits(v, OBS_AH));
	cr_expect(scn_via_admits(SCN_VIA_DEFAULT, OBS_CLEAR) &&
		  scn_via_admits(SCN_VIA_DEFAULT, OBS_AH));
	cr_expect_eq(scn_via_parse("carrier_pigeon", &v), -1);
}
