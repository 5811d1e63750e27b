/*
 * JUnit XML as CI servers read it (the Ant/Jenkins schema): one
 * <testsuite> per scenario, one <testcase> per requirement the scenario
 * touched (name = requirement id, classname = scenario name), <failure>
 * with what was observed and the replay command, <skipped> for N/A.
 * No timestamps or host names: the file is a function of the runs.
 */
#include <stdio.h>

#include "cli/suite.h"

/* XML 1.0 forbids most control characters even escaped: they become spaces. */
static void
xml_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\n':
			fputs("&#10;", f);
			break;
		default:
			fputc(c < 0x20 && c != '\t' ? ' ' : c, f);
		}
	}
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

static void
testcase(FILE *f, const struct suite_run *r, const char *name, const struct req_outcome *o)
{
	if (o->verdict == REQ_NOT_TESTED)
		return;
	fprintf(f, "    <testcase name=\"");
	xml_esc(f, name);
	fprintf(f, "\" classname=\"");
	xml_esc(f, r->sc.name);
	fprintf(f, "\" file=\"");
	xml_esc(f, r->sc.path);
	fprintf(f, "\"");
	if (o->verdict == REQ_PASS) {
		fprintf(f, "/>\n");
		return;
	}
	fprintf(f, ">\n");
	if (o->verdict == REQ_NA) {
		fprintf(f, "      <skipped message=\"not applicable: ");
		xml_esc(f, o->detail);
		fprintf(f, "\"/>\n");
	} else {
		fprintf(f, "      <failure type=\"FAIL\" message=\"");
		xml_esc(f, o->detail);
		fprintf(f, "\">%u of %u check(s) failed; first: ", o->nfail, o->npass + o->nfail);
		xml_esc(f, o->detail);
		fprintf(f, "\nreplay: ");
		xml_esc(f, r->replay);
		fprintf(f, "</failure>\n");
	}
	fprintf(f, "    </testcase>\n");
}

int
suite_write_junit(const char *path, const struct suite_run *runs, size_t n)
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	struct counts all = {0};
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
	for (size_t i = 0; i < n; i++) {
		const struct suite_run *r = &runs[i];
		struct counts c = count_run(r, nreq);
		fprintf(f, "  <testsuite name=\"");
		xml_esc(f, r->sc.path);
		fprintf(f,
			"\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"0\">\n"
			"    <properties>\n      <property name=\"seed\" value=\"%llu\"/>\n"
			"      <property name=\"replay\" value=\"",
			c.tests, c.failures, c.skipped, (unsigned long long)r->res.seed);
		xml_esc(f, r->replay);
		fprintf(f, "\"/>\n    </properties>\n");
		for (size_t k = 0; k < nreq; k++)
			testcase(f, r, t[k].id, &r->res.req[k]);
		testcase(f, r, "untagged-expectations", &r->res.untagged);
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	return fclose(f) == 0 ? 0 : -1;
}
