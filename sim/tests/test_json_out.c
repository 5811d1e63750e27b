/* sim/json_out: strings of any bytes, unsigned counts, and the one written form. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "sim/json_out.h"

Test(json_out, text_keeps_utf8_and_repairs_the_rest)
{
	json_t *ok = json_text("caf\xC3\xA9 \"quoted\"\n");
	cr_assert_not_null(ok);
	cr_expect_str_eq(json_string_value(ok), "caf\xC3\xA9 \"quoted\"\n");
	json_decref(ok);

	/* jansson alone refuses it: that is what json_text is for. */
	cr_expect_null(json_string("scen\xE9rio.yaml"));
	json_t *fixed = json_text("scen\xE9rio.yaml");
	cr_assert_not_null(fixed);
	cr_expect_str_eq(json_string_value(fixed), "scen\xEF\xBF\xBDrio.yaml");
	json_decref(fixed);
}

Test(json_out, u64_refuses_what_a_json_integer_cannot_hold)
{
	json_t *v = json_u64(INT64_MAX);
	cr_assert_not_null(v);
	cr_expect_eq(json_integer_value(v), INT64_MAX);
	json_decref(v);
	cr_expect_null(json_u64((uint64_t)INT64_MAX + 1));
	cr_expect_null(json_u64(UINT64_MAX));
}

Test(json_out, written_in_insertion_order_indented_with_a_final_newline)
{
	json_t *o = json_object();
	json_object_set_new(o, "zeta", json_integer(1));
	json_object_set_new(o, "alpha", json_pack("[i]", 2));
	json_object_set_new(o, "name", json_text("a\x80"));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_expect_eq(json_out_file(o, f), 0);
	fclose(f);
	cr_expect_str_eq(buf, "{\n"
			      "  \"zeta\": 1,\n"
			      "  \"alpha\": [\n"
			      "    2\n"
			      "  ],\n"
			      "  \"name\": \"a\xEF\xBF\xBD\"\n"
			      "}\n");
	free(buf);
	json_decref(o);
}

Test(json_out, a_path_that_cannot_be_opened_is_an_error)
{
	json_t *o = json_object();
	cr_expect_eq(json_out_path(o, "/nonexistent-dir/x.json"), -1);
	json_decref(o);
}
