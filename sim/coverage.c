#include "sim/coverage.h"

#include "sim/req.h"

static bool
names(const struct scn_expect *e, int k)
{
	for (size_t j = 0; j < e->nreq; j++)
		if (e->req[j] == k)
			return true;
	return false;
}

/* The adversary's frames or fault rules: the whole scenario is an attack on the device. */
static bool
hostile(const struct scenario *sc)
{
	return sc->ninjects > 0 || sc->nike_peers > 0 || sc->nfaults > 0;
}

static bool
is_trace_verifies(int k)
{
	return k >= 0 && k == req_index("REQ-TRACE-VERIFIES");
}

bool
coverage_judges(const struct scenario *sc, int k)
{
	if (is_trace_verifies(k))
		return true;
	for (size_t i = 0; i < sc->nexpects; i++)
		if (names(&sc->expects[i], k))
			return true;
	return false;
}

bool
coverage_expect_negative(const struct scenario *sc, const struct scn_expect *e)
{
	if (hostile(sc))
		return true;
	switch (e->kind) {
	case SCN_EXPECT_NOT_SEEN:
	case SCN_EXPECT_NO_ANSWER:
	case SCN_EXPECT_ANSWERED:
	case SCN_EXPECT_REFUSED:
		return true;
	case SCN_EXPECT_EXECUTED:
		return e->exact; /* times: N, not_executed */
	case SCN_EXPECT_IN_SYNC:
		return !e->in_sync;
	case SCN_EXPECT_POWER:
	case SCN_EXPECT_SEEN:
	case SCN_EXPECT_SAS:
	case SCN_EXPECT_REFRESHED: /* the server must refresh: a lapse, not an act */
		return false;
	}
	return false;
}

bool
coverage_judges_negatively(const struct scenario *sc, int k)
{
	if (is_trace_verifies(k))
		return hostile(sc);
	for (size_t i = 0; i < sc->nexpects; i++)
		if (names(&sc->expects[i], k) && coverage_expect_negative(sc, &sc->expects[i]))
			return true;
	return false;
}
