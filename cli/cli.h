/* The rmcpsec command line: one file per subcommand. */
#ifndef RMCPSEC_CLI_H
#define RMCPSEC_CLI_H

#include <stdio.h>

enum exit_code {
	EXIT_PASS = 0,	 /* every verdict passed */
	EXIT_FAILED = 1, /* a verdict failed */
	EXIT_USAGE = 2,	 /* usage or input error: nothing was judged */
};

int cmd_run(int argc, char **argv);
int cmd_suite(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_fig6(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_wireshark(int argc, char **argv);
int cmd_requirements(int argc, char **argv);
int cmd_mutants(int argc, char **argv);
/* requirements --coverage DIR (cli/req_coverage.c): an exit code. */
int req_coverage(const char *dir);
void usage(FILE *f);

#endif
