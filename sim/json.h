/* Minimal JSON output helpers for results files: escaping done once, here. */
#ifndef RMCPSEC_SIM_JSON_H
#define RMCPSEC_SIM_JSON_H

#include <stdio.h>

void json_str(FILE *f, const char *s);

#endif
