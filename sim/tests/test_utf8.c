/*
 * sim/utf8: one U+FFFD per maximal ill-formed subpart (Unicode §3.9). The
 * expected outputs are Python's bytes.decode("utf-8", "replace"), which
 * implements the same practice, run once with /usr/bin/python3 and pasted.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "sim/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static void
expect_repair(const char *in, const char *want)
{
	char *got = utf8_repair(in);
	cr_assert_not_null(got);
	cr_expect_str_eq(got, want);
	free(got);
}

Test(utf8, well_formed_text_is_unchanged)
{
	expect_repair("", "");
	expect_repair("plain", "plain");
	expect_repair("caf\xC3\xA9", "caf\xC3\xA9");   /* U+00E9 */
	expect_repair("\xE2\x82\xAC", "\xE2\x82\xAC"); /* U+20AC */
	expect_repair("\xED\x9F\xBF", "\xED\x9F\xBF"); /* U+D7FF, below the surrogates */
	expect_repair("\xEF\xBF\xBF", "\xEF\xBF\xBF"); /* U+FFFF: a non-character, still UTF-8 */
	expect_repair("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"); /* U+1F600 */
	expect_repair("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF, the last */
}

Test(utf8, bytes_that_start_nothing_are_one_replacement_each)
{
	expect_repair("a\x80"
		      "b",
		      "a" FFFD "b"); /* a continuation byte alone */
	expect_repair("\xFF", FFFD);
	expect_repair("\xF5\x80", FFFD FFFD); /* F5..FF start nothing; 80 is then alone */
	expect_repair("scen\xE9rio.yaml", "scen" FFFD "rio.yaml"); /* Latin-1 e-acute */
}

Test(utf8, overlong_surrogate_and_too_large_forms_are_refused_byte_by_byte)
{
	/* Their second byte is outside Table 3-7's range, so each byte is its own subpart. */
	expect_repair("\xC0\x80", FFFD FFFD);
	expect_repair("\xC1\xBF", FFFD FFFD);
	expect_repair("\xE0\x80\x80", FFFD FFFD FFFD);
	expect_repair("\xE0\x9F\xBF", FFFD FFFD FFFD);
	expect_repair("\xED\xA0\x80", FFFD FFFD FFFD);		/* U+D800 */
	expect_repair("\xF0\x8F\xBF\xBF", FFFD FFFD FFFD FFFD); /* overlong U+FFFF */
	expect_repair("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
}

Test(utf8, a_sequence_cut_short_is_one_replacement)
{
	expect_repair("\xE2\x82", FFFD);
	expect_repair("\xE2\x82"
		      "A",
		      FFFD "A");
	expect_repair("\xF0\x9F\x98", FFFD);
	expect_repair("\xF0\x9F\x98"
		      "A",
		      FFFD "A");
	expect_repair("\xF0\x9F\x98\xF0\x9F\x98\x80", FFFD "\xF0\x9F\x98\x80");
}

Test(utf8, worst_case_fits)
{
	char in[301];
	memset(in, 0x80, 300);
	in[300] = '\0';
	char *got = utf8_repair(in);
	cr_assert_not_null(got);
	cr_expect_eq(strlen(got), 900);
	for (size_t i = 0; i < 900; i += 3)
		cr_expect(memcmp(got + i, FFFD, 3) == 0, "at %zu", i);
	free(got);
}
