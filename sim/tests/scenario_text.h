/* For the scenario tests: load a scenario from text through a temporary file. */
#ifndef RMCPSEC_SIM_TESTS_SCENARIO_TEXT_H
#define RMCPSEC_SIM_TESTS_SCENARIO_TEXT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/scenario.h"

/* The temporary file's name, as errors quote it (valid after the load). */
static char scenario_text_path[64];

static inline int
scenario_load_text(const char *text, struct scenario *sc, char *err)
{
	strcpy(scenario_text_path, "/tmp/rmcpsec-scn-XXXXXX");
	int fd = mkstemp(scenario_text_path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = scenario_load(scenario_text_path, sc, err, SCN_ERR);
	unlink(scenario_text_path);
	return rc;
}

#endif
