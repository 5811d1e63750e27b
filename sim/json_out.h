/*
 * JSON that rmcpsec writes (results.json, summary.json, `--json` on stdout)
 * is built with jansson and written by one writer, so that every file has
 * the same form: keys in the order they were set, two spaces of indent, a
 * newline at the end.
 */
#ifndef RMCPSEC_SIM_JSON_OUT_H
#define RMCPSEC_SIM_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/*
 * A JSON string of any bytes: UTF-8 as it is, anything else under the
 * rule of sim/utf8.h (jansson takes only UTF-8). NULL when out of memory.
 */
json_t *json_text(const char *s);

/*
 * A JSON integer of an unsigned count. jansson's integers are signed 64-bit:
 * above INT64_MAX this is NULL rather than a wrong number.
 */
json_t *json_u64(uint64_t v);

/* Writes v to f in the house form. 0, or -1 when a write failed. */
int json_out_file(const json_t *v, FILE *f);

/* Writes v to path in the house form. 0, or -1 when it could not be written. */
int json_out_path(const json_t *v, const char *path);

#endif
