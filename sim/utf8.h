/*
 * What rmcpsec writes for other programs (results.json, summary.json,
 * junit.xml, JSON on stdout) is UTF-8, but much of it comes from outside as
 * bytes: scenario paths, node names, a DUT adapter's output. The one rule
 * for bytes that are not UTF-8 (docs/users/results.md): each maximal
 * ill-formed subsequence (the Unicode Standard §3.9, "U+FFFD Substitution of
 * Maximal Subparts": the longest prefix of a well-formed sequence of
 * Table 3-7 that is not itself complete, or else one byte) becomes one
 * U+FFFD; well-formed text passes unchanged. It is what Python's
 * bytes.decode("utf-8", "replace") and the WHATWG decoder do, so a reader
 * can tell what a name became.
 */
#ifndef RMCPSEC_SIM_UTF8_H
#define RMCPSEC_SIM_UTF8_H

/* s under the rule above, malloc'd (the caller frees it); NULL when out of memory. */
char *utf8_repair(const char *s);

#endif
