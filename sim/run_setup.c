/*
 * The nodes of a run, configured from the scenario and the run's seed:
 * every client's provisioned SA and IKE pre-shared key come from streams of
 * their own, so adding a node or a fault elsewhere does not change another
 * client's keys; each server's inventory lists every client; servers that
 * negotiate or fail over share one SQLite store beside the trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/rd.h"
#include "sim/run_int.h"

/* A client's SA, standing in for the IKE exchange when the scenario provisions them. */
static void
derive_sa(const struct scenario *sc, uint64_t seed, size_t idx, uint32_t peer_ip,
	  struct nvram_sa *sa)
{
	struct rng k;
	rng_seed(&k, seed ^ (0x5341ULL << 48) ^ idx);
	memset(sa, 0, sizeof(*sa));
	sa->suite = sc->security.suite;
	sa->esn = sc->security.esn;
	mgmt_suite_key_lens(sa->suite, &sa->key_len, &sa->salt_len, &sa->integ_key_len);
	sa->spi_in = 0x1000 + (uint32_t)rng_below(&k, 0x7fffe000);
	do
		sa->spi_out = 0x1000 + (uint32_t)rng_below(&k, 0x7fffe000);
	while (sa->spi_out == sa->spi_in);
	uint8_t *fields[] = {sa->key,	 sa->salt,    sa->integ_key,
			     sa->key_in, sa->salt_in, sa->integ_key_in};
	size_t lens[] = {sa->key_len, sa->salt_len, sa->integ_key_len,
			 sa->key_len, sa->salt_len, sa->integ_key_len};
	for (size_t f = 0; f < 6; f++)
		for (size_t b = 0; b < lens[f]; b++)
			fields[f][b] = (uint8_t)rng_next(&k);
	put_be32(sa->peer_ip, peer_ip);
	sa->txid = 1;
}

/* Each client's IKE pre-shared key, from the seed (a stream of its own). */
static void
derive_psk(uint64_t seed, size_t idx, uint8_t psk[32])
{
	struct rng k;
	rng_seed(&k, seed ^ (0x50534bULL << 40) ^ idx);
	for (size_t b = 0; b < 32; b++)
		psk[b] = (uint8_t)rng_next(&k);
}

void
run_client_psk(const struct run *r, size_t client, uint8_t psk[32])
{
	derive_psk(r->seed, client, psk);
}

static void
client_nvram_config(const struct scenario *sc, struct nvram_config *nv)
{
	nvram_config_default(nv);
	nv->policy.clear_allowed = sc->security.clear_allowed;
	nv->policy.clear_port = sc->security.clear_port;
	nv->policy.clear_msgs = sc->security.clear_msgs;
	nv->seq_reservation = sc->security.reservation;
}

/* The SAs are the primary's: the first server of the scenario. */
static uint32_t
primary_ip(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER)
			return sc->nodes[i].ip;
	return 0;
}

int
run_setup_client(struct simnode *sn, uint16_t ip_id, uint8_t first_seq)
{
	struct run *r = sn->run;
	size_t i = sn->idx;
	const struct scenario *sc = r->sc;
	(void)first_seq;
	const struct scn_node *nd = &sc->nodes[i];
	struct client_cfg cfg = {.ip = nd->ip,
				 .power = nd->power,
				 .boot_ns = nd->boot_ns,
				 .first_ip_id = ip_id,
				 .replay_window = sc->security.replay_window,
				 .profile = r->profile,
				 .timing = r->timing,
				 .mutant = r->mutant};
	snprintf(cfg.name, sizeof(cfg.name), "%s", nd->name);
	memcpy(cfg.mac, nd->mac, 6);
	client_nvram_config(sc, &cfg.nvram);
	if (sc->security.ike) {
		cfg.ike = (struct client_ike_cfg){.enabled = true,
						  .server_ip = primary_ip(sc),
						  .psk_len = 32,
						  .suite = sc->security.suite,
						  .retrans_ns = NS_PER_S / 2,
						  .rand_seed = r->seed ^ (0x484f5354ULL << 32) ^ i};
		derive_psk(r->seed, i, cfg.ike.psk);
	} else {
		cfg.sa = r->stored[i];
		cfg.ike.server_ip = primary_ip(sc);
	}
	int rc = client_init(&r->nodes[i].u.c, &cfg);
	explicit_bzero(&cfg, sizeof(cfg));
	return rc;
}

static const struct scn_node *
ha_partner(const struct scenario *sc, int want)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER && sc->nodes[i].ha == want)
			return &sc->nodes[i];
	return NULL;
}

/* Servers that negotiate or fail over keep their context in one SQLite file beside the trace. */
static int
server_store(struct run *r, size_t i, struct store **st)
{
	char err[256];
	*st = NULL;
	if (!r->sc->security.ike && !r->sc->nodes[i].ha)
		return RMC_OK;
	int rc = store_open(r->store_path, st, err, sizeof(err));
	if (rc)
		run_note(r, i, err);
	return rc;
}

/* A console's inventory: every client of the scenario, with its SA or pre-shared key. */
static int
server_inventory(struct run *r, struct server *s)
{
	const struct scenario *sc = r->sc;
	int rc = RMC_OK;
	for (size_t j = 0; rc == RMC_OK && j < sc->nnodes; j++) {
		if (sc->nodes[j].role != SCN_CLIENT)
			continue;
		rc = server_add_client(s, sc->nodes[j].name, sc->nodes[j].ip);
		if (!rc &&
		    sc->nodes[j].no_commit) /* a plain IPsec host (docs/internals/mechanism.md) */
			rc = server_set_client_no_commit(s, s->nclients - 1, true);
		if (!rc && sc->security.enabled && !sc->security.ike)
			rc = server_set_client_sa(s, s->nclients - 1, &r->stored[j],
						  sc->security.replay_window);
		if (!rc && sc->security.ike) {
			uint8_t psk[32];
			derive_psk(r->seed, j, psk);
			rc = server_set_client_psk(s, s->nclients - 1, psk, sizeof(psk));
			explicit_bzero(psk, sizeof(psk));
		}
	}
	return rc;
}

int
run_setup_server(struct simnode *sn, uint16_t ip_id, uint8_t first_seq)
{
	struct run *r = sn->run;
	size_t i = sn->idx;
	const struct scenario *sc = r->sc;
	const struct scn_node *nd = &sc->nodes[i];
	const struct scn_node *prim = ha_partner(sc, 1), *sec = ha_partner(sc, 2);
	struct server_cfg cfg = {.ip = nd->ip,
				 .retx_ns = nd->retx_ns,
				 .retries = nd->retries,
				 .first_ip_id = ip_id,
				 .first_seq = first_seq,
				 .ike = sc->security.ike,
				 .suite = sc->security.suite,
				 .ike_retrans_ns = NS_PER_S / 2,
				 .rand_seed = r->seed ^ (0x535256ULL << 40) ^ i,
				 .profile = r->profile,
				 .timing = r->timing,
				 .poll_ns = sc->security.poll_ns,
				 .clear_fallback = sc->security.clear_allowed,
				 .role = (enum server_role)nd->ha,
				 .service_ip = nd->ha ? prim->ip : nd->ip,
				 .partner_ip = nd->ha == 1 && sec ? sec->ip
					       : nd->ha == 2	  ? prim->ip
								  : 0,
				 .heartbeat_ns = nd->heartbeat_ns,
				 .takeover_ns = nd->takeover_ns,
				 .mutant = r->mutant};
	snprintf(cfg.name, sizeof(cfg.name), "%s", nd->name);
	memcpy(cfg.mac, nd->mac, 6);
	int rc = server_store(r, i, &r->stores[i]);
	cfg.store = r->stores[i];
	struct server *s = &r->nodes[i].u.s;
	if (!rc)
		rc = server_init(s, &cfg);
	return rc ? rc : server_inventory(r, s);
}

int
run_nodes_init(struct run *r)
{
	const struct scenario *sc = r->sc;
	if (!(r->nodes = calloc(sc->nnodes, sizeof(*r->nodes))) ||
	    !(r->stored = calloc(sc->nnodes, sizeof(*r->stored))) ||
	    !(r->stores = calloc(sc->nnodes, sizeof(*r->stores))))
		return RMC_ENOMEM;
	for (size_t i = 0; sc->security.enabled && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT)
			derive_sa(sc, r->seed, i, primary_ip(sc), &r->stored[i]);
	for (size_t i = 0; i < sc->nnodes; i++) {
		struct simnode *sn = &r->nodes[i];
		sn->run = r;
		sn->idx = i;
		sn->role = sc->nodes[i].role;
		sn->ops = player_choose(r->opts, sc, i);
		/* drawn for every node, played here or not, so each node's values stay its own */
		uint16_t ip_id = (uint16_t)rng_next(&r->rng);
		uint8_t first_seq = sn->role == SCN_SERVER ? (uint8_t)rng_below(&r->rng, 255) : 0;
		int rc = sn->ops->init(sn, ip_id, first_seq);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

void
run_nodes_fini(struct run *r)
{
	for (size_t i = 0; r->nodes && i < r->sc->nnodes; i++) {
		struct simnode *sn = &r->nodes[i];
		if (sn->ops)
			sn->ops->fini(sn);
		trace_close(sn->pcap);
	}
	for (size_t i = 0; r->stores && i < r->sc->nnodes; i++)
		store_close(r->stores[i]);
	free(r->stores);
	free(r->nodes);
	if (r->stored)
		explicit_bzero(r->stored, r->sc->nnodes * sizeof(*r->stored));
	free(r->stored);
	r->nodes = NULL;
	r->stores = NULL;
	r->stored = NULL;
}

int
run_log_provisioned(struct run *r)
{
	const struct scenario *sc = r->sc;
	if (!sc->security.enabled || sc->security.ike)
		return RMC_OK;
	for (size_t i = 0; sc->nodes && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT) {
			struct node_key k = {.sa = r->stored[i], .nic_ip = sc->nodes[i].ip};
			run_log_key(r, &k);
			explicit_bzero(&k, sizeof(k));
		}
	return r->io_error;
}
