#include "sim/json_out.h"

#include <stdlib.h>

#include "sim/utf8.h"

/* The house form: insertion order (jansson keeps it; the flag says so), 2-space indent. */
enum { JSON_OUT_FLAGS = JSON_PRESERVE_ORDER | JSON_INDENT(2) };

json_t *
json_text(const char *s)
{
	json_t *v = json_string(s);
	if (v)
		return v;
	char *fixed = utf8_repair(s);
	if (!fixed)
		return NULL;
	v = json_string(fixed);
	free(fixed);
	return v;
}

json_t *
json_u64(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : NULL;
}

int
json_out_file(const json_t *v, FILE *f)
{
	if (json_dumpf(v, f, JSON_OUT_FLAGS) || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

int
json_out_path(const json_t *v, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = json_out_file(v, f);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}
