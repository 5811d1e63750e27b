/*
 * The mutant table (nodes/mutant.c): every mutant breaks requirements the
 * catalogue has, and docs/testing/mutants.md says what the table says —
 * each mutant's requirements and what is broken, and the table read per
 * requirement.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nodes/mutant.h"
#include "sim/req.h"

enum { CELLS = 6, CELL = 1024 };

/* The cells of a Markdown table row "| a | b | ... |", trimmed; how many. */
static int
row_cells(const char *line, char cells[CELLS][CELL])
{
	int n = 0;
	const char *p = strchr(line, '|');
	while (p && n < CELLS) {
		const char *q = strchr(p + 1, '|');
		if (!q)
			break;
		const char *a = p + 1, *b = q;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		snprintf(cells[n++], CELL, "%.*s", (int)(b - a), a);
		p = q;
	}
	return n;
}

/* "`name`" -> the mutant, or -1. */
static int
backquoted_mutant(const char *cell)
{
	char name[64];
	enum mutant m;
	size_t len = strlen(cell);
	if (len < 3 || cell[0] != '`' || cell[len - 1] != '`' || len - 2 >= sizeof(name))
		return -1;
	snprintf(name, sizeof(name), "%.*s", (int)(len - 2), cell + 1);
	return mutant_parse(name, &m) == 0 ? (int)m : -1;
}

static bool
breaks(const struct mutant_info *mi, const char *id)
{
	for (size_t i = 0; i < MUT_MAX_REQS && mi->reqs[i]; i++)
		if (strcmp(mi->reqs[i], id) == 0)
			return true;
	return false;
}

/* The requirements of a mutant as the docs write them: "A, B". */
static void
reqs_text(const struct mutant_info *mi, char *buf, size_t cap)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < MUT_MAX_REQS && mi->reqs[i] && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", mi->reqs[i]);
}

Test(mutant_table, every_mutant_breaks_catalogue_requirements)
{
	cr_assert_eq(mutant_info(MUT_NONE)->reqs[0], NULL, "none breaks nothing");
	cr_assert_null(mutant_info(MUT__COUNT));
	for (int m = MUT_NONE + 1; m < MUT__COUNT; m++) {
		const struct mutant_info *mi = mutant_info((enum mutant)m);
		enum mutant back;
		cr_assert(mi->name && *mi->name, "mutant %d has no name", m);
		cr_assert_eq(mutant_parse(mi->name, &back), 0);
		cr_assert_eq((int)back, m, "%s: two mutants of one name", mi->name);
		cr_assert(mi->what && strlen(mi->what) > 10, "%s: no description", mi->name);
		cr_assert_null(strchr(mi->what, '\n'), "%s: the description is one line", mi->name);
		cr_assert(mi->reqs[0], "%s breaks no requirement", mi->name);
		for (size_t i = 0; i < MUT_MAX_REQS && mi->reqs[i]; i++) {
			cr_assert_geq(req_index(mi->reqs[i]), 0, "%s: '%s' is not in the catalogue",
				      mi->name, mi->reqs[i]);
			for (size_t j = 0; j < i; j++)
				cr_assert_str_neq(mi->reqs[i], mi->reqs[j], "%s: '%s' twice",
						  mi->name, mi->reqs[i]);
		}
	}
}

/*
 * docs/testing/mutants.md: one row "| `name` | REQ, ... | what | input |" per
 * mutant, equal to the table, and one row "| REQ-ID | `m`, ... |" per
 * requirement, naming exactly the mutants that break it ("none: why" when
 * none does).
 */
Test(mutant_table, docs_say_what_the_table_says)
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	int mutant_rows[MUT__COUNT] = {0}, req_rows[REQ_MAX] = {0};
	static char cells[CELLS][CELL];
	char line[8192], want[256];
	FILE *f = fopen(RMCPSEC_SRC_DIR "/docs/testing/mutants.md", "r");
	cr_assert(f, "docs/testing/mutants.md missing");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '|')
			continue;
		int n = row_cells(line, cells), m = backquoted_mutant(cells[0]),
		    k = n >= 2 ? req_index(cells[0]) : -1;
		if (n >= 3 && m > MUT_NONE) {
			const struct mutant_info *mi = mutant_info((enum mutant)m);
			mutant_rows[m]++;
			reqs_text(mi, want, sizeof(want));
			cr_assert_str_eq(cells[1], want, "docs: %s's requirements", mi->name);
			cr_assert_str_eq(cells[2], mi->what, "docs: what %s breaks", mi->name);
		} else if (m < 0 && cells[0][0] == '`') {
			cr_assert_fail("docs name an unknown mutant %s", cells[0]);
		} else if (k >= 0) {
			req_rows[k]++;
			int named = 0, breakers = 0;
			for (int b = MUT_NONE + 1; b < MUT__COUNT; b++) {
				const struct mutant_info *mi = mutant_info((enum mutant)b);
				char quoted[80];
				snprintf(quoted, sizeof(quoted), "`%s`", mi->name);
				bool listed = strstr(cells[1], quoted) != NULL;
				cr_assert_eq(listed, breaks(mi, t[k].id),
					     "docs: %s %s under %s, the table says otherwise",
					     mi->name, listed ? "listed" : "not listed", t[k].id);
				named += listed;
				breakers += breaks(mi, t[k].id);
			}
			cr_assert_eq(named, breakers);
			if (!breakers)
				cr_assert_eq(strncmp(cells[1], "none: ", 6), 0,
					     "docs: %s has no mutant and must say why", t[k].id);
		}
	}
	fclose(f);
	for (int m = MUT_NONE + 1; m < MUT__COUNT; m++)
		cr_assert_eq(mutant_rows[m], 1, "docs list %s %d times",
			     mutant_name((enum mutant)m), mutant_rows[m]);
	for (size_t k = 0; k < nreq; k++)
		cr_assert_eq(req_rows[k], 1, "docs' requirement table lists %s %d times", t[k].id,
			     req_rows[k]);
}
