/*
 * JUnit XML as CI servers read it (the Ant/Jenkins schema): one
 * <testsuite> per scenario, one <testcase> per requirement the scenario
 * touched (name = requirement id, classname = scenario name), <failure>
 * with what was observed and the replay command, <skipped> for N/A.
 * No timestamps or host names: the file is a function of the runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/suite.h"
#include "sim/utf8.h"

/*
 * Puts one character of well-formed UTF-8 (at p, n bytes) as XML 1.0 text or
 * attribute value. Markup characters become entities; newline, tab and
 * carriage return character references (an attribute value keeps them only
 * so); the other control characters, which XML 1.0 forbids even escaped,
 * spaces; the non-characters U+FFFE and U+FFFF, forbidden too, U+FFFD.
 */
static void
xml_char(FILE *f, const unsigned char *p, size_t n)
{
	static const char *const entity[128] = {
	    ['&'] = "&amp;",   ['<'] = "&lt;",	 ['>'] = "&gt;",  ['"'] = "&quot;",
	    ['\''] = "&apos;", ['\n'] = "&#10;", ['\t'] = "&#9;", ['\r'] = "&#13;",
	};
	if (n == 1 && entity[*p])
		fputs(entity[*p], f);
	else if (n == 1 && *p < 0x20)
		fputc(' ', f);
	else if (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
		fputs("\xEF\xBF\xBD", f);
	else
		fwrite(p, 1, n, f);
}

/* Bytes of the UTF-8 character that starts with b (well-formed text). */
static size_t
utf8_len(unsigned char b)
{
	return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* s as XML text: not UTF-8 repaired by the rule of sim/utf8.h, then escaped. 0 or -1. */
static int
xml_esc(FILE *f, const char *s)
{
	char *text = utf8_repair(s);
	if (!text)
		return -1;
	for (const unsigned char *p = (const unsigned char *)text; *p; p += utf8_len(*p))
		xml_char(f, p, utf8_len(*p));
	free(text);
	return 0;
}

struct counts {
	size_t tests, failures, skipped;
};

static void
add(struct counts *c, enum req_verdict v)
{
	if (v == REQ_NOT_TESTED)
		return;
	c->tests++;
	c->failures += v == REQ_FAIL;
	c->skipped += v == REQ_NA;
}

static struct counts
count_run(const struct suite_run *r, size_t nreq)
{
	struct counts c = {0};
	for (size_t k = 0; k < nreq; k++)
		add(&c, r->res.req[k].verdict);
	add(&c, r->res.untagged.verdict);
	return c;
}

/* 0, or -1 when out of memory. */
static int
testcase(FILE *f, const struct suite_run *r, const char *name, const struct req_outcome *o)
{
	int rc = 0;
	if (o->verdict == REQ_NOT_TESTED)
		return 0;
	fprintf(f, "    <testcase name=\"");
	rc |= xml_esc(f, name);
	fprintf(f, "\" classname=\"");
	rc |= xml_esc(f, r->sc.name);
	fprintf(f, "\" file=\"");
	rc |= xml_esc(f, r->sc.path);
	fprintf(f, "\"");
	if (o->verdict == REQ_PASS) {
		fprintf(f, "/>\n");
		return rc;
	}
	fprintf(f, ">\n");
	if (o->verdict == REQ_NA) {
		fprintf(f, "      <skipped message=\"not applicable: ");
		rc |= xml_esc(f, o->detail);
		fprintf(f, "\"/>\n");
	} else {
		fprintf(f, "      <failure type=\"FAIL\" message=\"");
		rc |= xml_esc(f, o->detail);
		fprintf(f, "\">%u of %u check(s) failed; first: ", o->nfail, o->npass + o->nfail);
		rc |= xml_esc(f, o->detail);
		fprintf(f, "\nreplay: ");
		rc |= xml_esc(f, r->replay);
		fprintf(f, "</failure>\n");
	}
	fprintf(f, "    </testcase>\n");
	return rc;
}

/* One scenario's <testsuite>. 0, or -1 when out of memory. */
static int
testsuite(FILE *f, const struct suite_run *r, const struct req *t, size_t nreq)
{
	struct counts c = count_run(r, nreq);
	int rc = 0;
	fprintf(f, "  <testsuite name=\"");
	rc |= xml_esc(f, r->sc.path);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"0\">\n"
		"    <properties>\n      <property name=\"seed\" value=\"%llu\"/>\n"
		"      <property name=\"replay\" value=\"",
		c.tests, c.failures, c.skipped, (unsigned long long)r->res.seed);
	rc |= xml_esc(f, r->replay);
	fprintf(f, "\"/>\n    </properties>\n");
	for (size_t k = 0; k < nreq; k++)
		rc |= testcase(f, r, t[k].id, &r->res.req[k]);
	rc |= testcase(f, r, "untagged-expectations", &r->res.untagged);
	fprintf(f, "  </testsuite>\n");
	return rc;
}

int
suite_write_junit(const char *path, const struct suite_run *runs, size_t n)
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	struct counts all = {0};
	int rc = 0;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct counts c = count_run(&runs[i], nreq);
		all.tests += c.tests;
		all.failures += c.failures;
		all.skipped += c.skipped;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"rmcpsec\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
		all.tests, all.failures, all.skipped);
	for (size_t i = 0; i < n; i++)
		rc |= testsuite(f, &runs[i], t, nreq);
	fprintf(f, "</testsuites>\n");
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}
