/*
 * The folders' include rule (README.md "Layers"): a file includes headers of
 * its own folder and of the folders on layers below it, never one on its
 * own layer or above.
 *
 *   layer 3  cli/
 *   layer 2  sim/
 *   layer 1  nodes/  pcap/
 *   layer 0  fsm/    proto/
 *
 * Reads every .c and .h under those folders (their tests/ too) and checks
 * each `#include "..."` or `#include <...>` that names a file of the tree:
 * "folder/x.h" from the source root, or a file beside the includer (a
 * quoted include that names neither is refused, so nothing slips by as a
 * relative path). bench/ and tests/ may include anything and are not read.
 * Each violation is reported as FILE:LINE with the rule it breaks.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { REL_MAX = 512, PATH_LEN = REL_MAX + 512 }; /* paths from the root; whole paths */

static const struct {
	const char *folder;
	int layer;
} LAYERS[] = {
    {"fsm", 0}, {"proto", 0}, {"nodes", 1}, {"pcap", 1}, {"sim", 2}, {"cli", 3},
};
enum { NFOLDERS = sizeof(LAYERS) / sizeof(LAYERS[0]) };

/* The layer of a path's first component, or -1 for a folder outside the rule. */
static int
layer_of(const char *path)
{
	size_t n = strcspn(path, "/");
	for (size_t i = 0; i < NFOLDERS; i++)
		if (strlen(LAYERS[i].folder) == n && strncmp(LAYERS[i].folder, path, n) == 0 &&
		    path[n] == '/')
			return LAYERS[i].layer;
	return -1;
}

static bool
exists(const char *rel)
{
	char path[PATH_LEN];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", RMCPSEC_SRC_DIR, rel);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The header an include line names, relative to the source root, in
 * `target`: 1 a header of the tree, 0 not an include of the tree (a
 * system header in <>), -1 a quoted include that names no file of the tree.
 */
static int
included(const char *file, const char *line, char *target, size_t cap)
{
	char name[REL_MAX / 2];
	char close;
	const char *p = line + strspn(line, " \t");
	if (*p++ != '#')
		return 0;
	p += strspn(p, " \t");
	if (strncmp(p, "include", 7) != 0)
		return 0;
	p += 7 + strspn(p + 7, " \t");
	if (*p != '"' && *p != '<')
		return 0;
	close = *p == '"' ? '"' : '>';
	size_t n = strcspn(p + 1, close == '"' ? "\"" : ">");
	if (n >= sizeof(name) || p[1 + n] != close)
		return 0;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	if (layer_of(name) >= 0 && exists(name)) {
		snprintf(target, cap, "%s", name);
		return 1;
	}
	/* beside the includer */
	const char *slash = strrchr(file, '/');
	snprintf(target, cap, "%.*s/%s", (int)(slash - file), file, name);
	if (!strstr(name, "..") && exists(target))
		return 1;
	snprintf(target, cap, "%s", name);
	return close == '"' ? -1 : 0;
}

/*
 * "" when `file` may include `target`, else why not. The rule in one
 * place: the same folder, or a folder on a lower layer.
 */
static const char *
breaks(const char *file, const char *target, char *why, size_t cap)
{
	int from = layer_of(file), to = layer_of(target);
	size_t fn = strcspn(file, "/"), tn = strcspn(target, "/");
	why[0] = '\0';
	if (to < 0 || (fn == tn && strncmp(file, target, fn) == 0))
		return why;
	if (to < from)
		return why;
	snprintf(why, cap,
		 "%.*s/ (layer %d) may include only its own folder and lower layers, and %.*s/ "
		 "is on layer %d",
		 (int)fn, file, from, (int)tn, target, to);
	return why;
}

struct tally {
	unsigned files, includes, violations;
};

/* Checks every include of one file (path relative to the source root). */
static void
check_file(const char *rel, struct tally *t)
{
	char path[PATH_LEN], line[1024], target[REL_MAX], why[256];
	unsigned no = 0;
	snprintf(path, sizeof(path), "%s/%s", RMCPSEC_SRC_DIR, rel);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", rel);
	t->files++;
	while (fgets(line, sizeof(line), f)) {
		no++;
		int k = included(rel, line, target, sizeof(target));
		if (k == 0)
			continue;
		t->includes++;
		if (k < 0) {
			t->violations++;
			cr_expect_fail(
			    "%s:%u: includes \"%s\", which is no file of the tree: name a "
			    "header as folder/x.h",
			    rel, no, target);
		} else if (*breaks(rel, target, why, sizeof(why))) {
			t->violations++;
			cr_expect_fail("%s:%u: includes %s: %s", rel, no, target, why);
		}
	}
	fclose(f);
}

static void
walk(const char *rel, struct tally *t)
{
	char path[PATH_LEN], sub[REL_MAX];
	snprintf(path, sizeof(path), "%s/%s", RMCPSEC_SRC_DIR, rel);
	DIR *d = opendir(path);
	struct dirent *e;
	cr_assert_not_null(d, "%s", rel);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		snprintf(path, sizeof(path), "%s/%s", RMCPSEC_SRC_DIR, sub);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(sub, t);
		else if (len > 2 && (strcmp(e->d_name + len - 2, ".c") == 0 ||
				     strcmp(e->d_name + len - 2, ".h") == 0))
			check_file(sub, t);
	}
	closedir(d);
}

Test(layering, every_include_goes_to_its_own_folder_or_a_lower_layer)
{
	struct tally t = {0};
	for (size_t i = 0; i < NFOLDERS; i++)
		walk(LAYERS[i].folder, &t);
	cr_expect_geq(t.files, 150, "read only %u files", t.files);
	cr_expect_geq(t.includes, 400, "checked only %u includes", t.includes);
	cr_expect_eq(t.violations, 0);
}

/* The checker on planted lines: it must refuse what the rule forbids. */
Test(layering, the_checker_refuses_upward_and_sideways_includes)
{
	char target[REL_MAX], why[256];
	static const struct {
		const char *file, *line;
		int included; /* 1 of the tree, 0 not ours, -1 names nothing */
		bool allowed;
	} cases[] = {
	    {"nodes/nvram.c", "#include \"proto/rmcp.h\"", 1, true},
	    {"nodes/nvram.c", "#include \"nodes/nvram.h\"", 1, true},
	    {"nodes/nvram.c", "#include \"sim/run.h\"", 1, false},
	    {"nodes/nvram.c", "  #  include <sim/run.h>", 1, false},
	    {"nodes/nvram.c", "#include \"pcap/keys.h\"", 1, false},
	    {"proto/rmcp.c", "#include \"fsm/power.h\"", 1, false},
	    {"sim/fault.c", "#include \"cli/cli.h\"", 1, false},
	    {"cli/main.c", "#include \"sim/run.h\"", 1, true},
	    {"pcap/tests/test_verify.c", "#include \"verify_conv.h\"", 1, true},
	    {"nodes/nvram.c", "#include \"../sim/run.h\"", -1, false},
	    {"nodes/nvram.c", "#include \"run.h\"", -1, false},
	    {"nodes/nvram.c", "#include <stdio.h>", 0, true},
	    {"nodes/nvram.c", "/* #include \"sim/run.h\" */", 0, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int k = included(cases[i].file, cases[i].line, target, sizeof(target));
		cr_expect_eq(k, cases[i].included, "%s: %s", cases[i].file, cases[i].line);
		if (k == 1)
			cr_expect_eq(!*breaks(cases[i].file, target, why, sizeof(why)),
				     cases[i].allowed, "%s: %s", cases[i].file, cases[i].line);
	}
	breaks("nodes/nvram.c", "sim/run.h", why, sizeof(why));
	cr_expect_str_eq(why, "nodes/ (layer 1) may include only its own folder and lower layers, "
			      "and sim/ is on layer 2");
}
