/* fsm/ is pure: its sources include no I/O, socket or clock headers and
 * allocate nothing. Reads every source file in fsm/ and checks it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

static const char *const banned[] = {
    "<stdio.h>",  "<stdlib.h>",	    "<time.h>",	    "<sys/time.h>", "<unistd.h>",
    "<fcntl.h>",  "<sys/socket.h>", "<netinet/",    "<arpa/",	    "<poll.h>",
    "<signal.h>", "<pthread.h>",    "malloc(",	    "calloc(",	    "realloc(",
    "free(",	  "clock_gettime",  "gettimeofday", "printf(",	    "getenv("};

static size_t
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

Test(purity, fsm_sources_do_no_io_no_clock_no_allocation)
{
	static char buf[1 << 17];
	DIR *d = opendir(RMCPSEC_SRC_DIR "/fsm");
	struct dirent *e;
	int files = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[512];

		if (len < 3 ||
		    (strcmp(e->d_name + len - 2, ".c") && strcmp(e->d_name + len - 2, ".h")))
			continue;
		snprintf(path, sizeof path, "%s/fsm/%s", RMCPSEC_SRC_DIR, e->d_name);
		slurp(path, buf, sizeof buf);
		files++;
		for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
			cr_expect_null(strstr(buf, banned[i]), "fsm/%s contains %s", e->d_name,
				       banned[i]);
	}
	closedir(d);
	cr_expect_geq(files, 8, "found only %d fsm sources", files);
}
