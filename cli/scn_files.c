#include "cli/scn_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
files_add(struct scn_files *f, const char *path)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char **v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	if (!(f->v[f->n] = strdup(path)))
		return -1;
	f->n++;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int
collect(const char *cmd, const char *dir, struct scn_files *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "rmcpsec %s: %s: %s\n", cmd, dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = collect(cmd, path, out);
		else if (ends_with(e->d_name, ".yaml") && (rc = files_add(out, path)))
			fprintf(stderr, "rmcpsec %s: out of memory\n", cmd);
	}
	closedir(d);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
scn_files_collect(const char *cmd, const char *dir, struct scn_files *out)
{
	if (collect(cmd, dir, out) != 0)
		return -1;
	qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

void
scn_files_free(struct scn_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	*f = (struct scn_files){0};
}
