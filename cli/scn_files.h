/* The scenario files under a directory, as `rmcpsec suite` and `requirements --coverage` see them.
 */
#ifndef RMCPSEC_CLI_SCN_FILES_H
#define RMCPSEC_CLI_SCN_FILES_H

#include <stddef.h>

struct scn_files {
	char **v;
	size_t n, cap;
};

/*
 * Every *.yaml under dir, recursively (names starting with '.' skipped), in
 * name order. 0, or -1 after printing why on stderr (cmd names the command).
 */
int scn_files_collect(const char *cmd, const char *dir, struct scn_files *out);
void scn_files_free(struct scn_files *f);

#endif
