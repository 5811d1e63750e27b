/*
 * Model check of fsm/model/commit.pml with Spin: the
 * robust profile verifies with no errors, the strict one yields a
 * counterexample trail whose replay ends in the broken agreement between
 * server and NIC. Runs spin -a, gcc pan.c and ./pan in a fresh mkdtemp dir.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MODEL RMCPSEC_SRC_DIR "/fsm/model/commit.pml"

static char dir[] = "/tmp/rmcpsec-spin-XXXXXX";
static char out[1 << 16];

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Runs a shell command in dir; returns its exit status, output in out[]. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[1024], body[768];
	FILE *p;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "cd '%s' && { %s ; } 2>&1", dir, body);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void
build_pan(int robust)
{
	int rc = sh("spin -DROBUST=%d -a " MODEL " && gcc -O2 -DSAFETY -o pan pan.c", robust);
	cr_assert_eq(rc, 0, "spin/gcc failed:\n%s", out);
}

Test(spin, robust_model_verifies, .init = setup, .fini = teardown)
{
	build_pan(1);
	cr_assert_eq(sh("./pan -m100000"), 0, "%s", out);
	printf("spin robust: %s", strstr(out, "State-vector") ? strstr(out, "State-vector") : out);
	cr_expect_not_null(strstr(out, "errors: 0"), "robust model has errors:\n%s", out);
	cr_expect_null(strstr(out, "assertion violated"));
	cr_expect_null(strstr(out, "max search depth too small"), "search was truncated");
	cr_expect_eq(access("commit.pml.trail", F_OK), -1, "no trail for robust");
}

Test(spin, strict_model_yields_a_counterexample_trail, .init = setup, .fini = teardown)
{
	char trail[256];

	build_pan(0);
	sh("./pan -m100000");
	cr_expect_not_null(strstr(out, "errors: 1"), "strict model verified:\n%s", out);
	cr_expect_not_null(strstr(out, "assertion violated"), "%s", out);
	snprintf(trail, sizeof trail, "%s/commit.pml.trail", dir);
	cr_assert_eq(access(trail, F_OK), 0, "no trail written");
	/* replay: the trail must end with server and NIC on different SAs */
	cr_assert_eq(sh("cp " MODEL " . && spin -DROBUST=0 -t -p commit.pml"), 0, "%s", out);
	printf("spin strict: counterexample replayed:\n%s",
	       strstr(out, "spin: text of failed") ? strstr(out, "spin: text of failed") : out);
	cr_expect(strstr(out, "assert((s_cur==c_cur))") || strstr(out, "assert(((s==c_cur)"),
		  "trail ends elsewhere:\n%s", out);
}
