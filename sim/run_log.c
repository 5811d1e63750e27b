#include "sim/run_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

/* Room for one more element of size `size` in *v (capacity *cap, doubling from `first`). */
static int
grow(void **v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return RMC_OK;
	size_t c = *cap ? *cap * 2 : first;
	void *p = realloc(*v, c * size);
	if (!p)
		return RMC_ENOMEM;
	*v = p;
	*cap = c;
	return RMC_OK;
}

int
run_log_note(struct run_log *l, uint64_t t, size_t node, const char *text)
{
	if (grow((void **)&l->notes, l->nnotes, &l->capnotes, sizeof(*l->notes), 64))
		return RMC_ENOMEM;
	struct run_note *n = &l->notes[l->nnotes++];
	n->t = t;
	n->node = node;
	size_t len = strnlen(text, sizeof(n->text) - 1); /* a long note is cut, on purpose */
	memcpy(n->text, text, len);
	n->text[len] = '\0';
	return RMC_OK;
}

int
run_log_sa(struct run_log *l, const struct nvram_sa *sa, size_t client, bool *added, unsigned *ord)
{
	*added = false;
	*ord = 1;
	for (size_t i = 0; i < l->nsas; i++) {
		if (l->sas[i].sa.spi_in == sa->spi_in && l->sas[i].sa.spi_out == sa->spi_out)
			return RMC_OK; /* both ends export the same SA */
		if (l->sas[i].client == client)
			(*ord)++;
	}
	if (grow((void **)&l->sas, l->nsas, &l->capsas, sizeof(*l->sas), 8))
		return RMC_ENOMEM;
	l->sas[l->nsas++] = (struct run_sa){*sa, client, *ord};
	*added = true;
	return RMC_OK;
}

int
run_log_executed(struct run_log *l, uint64_t t, size_t node, uint8_t type)
{
	if (grow((void **)&l->executed, l->nexecuted, &l->capexecuted, sizeof(*l->executed), 16))
		return RMC_ENOMEM;
	l->executed[l->nexecuted++] = (struct run_executed){t, node, type};
	return RMC_OK;
}

int
run_log_ike(struct run_log *l, const char *line)
{
	if (grow((void **)&l->ike_lines, l->nike, &l->capike, sizeof(*l->ike_lines), 8))
		return RMC_ENOMEM;
	snprintf(l->ike_lines[l->nike++], NODE_IKE_KEY_LEN, "%s", line);
	return RMC_OK;
}

void
run_log_fini(struct run_log *l)
{
	if (l->sas)
		explicit_bzero(l->sas, l->capsas * sizeof(*l->sas));
	if (l->ike_lines)
		explicit_bzero(l->ike_lines, l->capike * sizeof(*l->ike_lines));
	free(l->sas);
	free(l->ike_lines);
	free(l->notes);
	free(l->executed);
	memset(l, 0, sizeof(*l));
}
