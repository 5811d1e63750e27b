/*
 * The refresh commit of patent Figs. 4 (server) and 5 (client NIC), the
 * same protocol as fsm/commit_server.c and fsm/commit_client.c, for Spin.
 * Profile: spin -DROBUST=1 (default) or -DROBUST=0 (strict).
 *
 * Faults, at most MAXF in a run: a message lost or duplicated on either
 * channel, the client's host hanging (the server then sees it down), the
 * NIC being reset (timers lost, NVRAM kept), a power cut tearing the NVRAM
 * write of a new SA (the NIC restarts without it: COMMIT_EV_PENDING_LOST).
 * Every timer may expire at any moment, which also covers every message
 * delay.
 *
 * Properties:
 *  - data the server sends is accepted by the NIC (assert in Client);
 *  - when nothing can move any more, server and NIC use one SA (Monitor).
 * Robust verifies; strict gives a counterexample (the lost CONFIRM).
 */
#ifndef ROBUST
#define ROBUST 1
#endif
#ifndef MAXF
#define MAXF   3
#endif
#define ROUNDS 2
#define TRIES  3 /* robust: READY sends before the client gives up */
#define CAP    4

mtype = { READY, ACK, CONFIRM, DATA };

chan s2c = [CAP] of { mtype, byte, byte }; /* type, txid, spi */
chan c2s = [CAP] of { mtype, byte, byte };
chan ike = [1] of { byte, byte };          /* the host's IKE hands the NIC a new SA */

byte faults;
bool peer_up = true; /* the server's knowledge of the client's host */
byte s_cur = 1;      /* the SA the server sends under */
byte c_cur = 1;      /* the NIC's active SA */
byte c_prev;         /* robust: the previous SA, still accepted inbound */

/* Deliver, lose or duplicate one message. */
inline xmit(ch, t, x, s)
{
	if
	:: ch!t,x,s
	:: faults < MAXF -> faults++
	:: faults < MAXF && len(ch) < CAP - 1 -> faults++; ch!t,x,s; ch!t,x,s
	fi
}

active proctype Server()
{
	byte round, tx, newspi, x, s;
	mtype t;
	bool data_sent;

idle:
	data_sent = false;
	do
	:: round < ROUNDS ->
		round++;
		if
		:: peer_up -> tx++; newspi = tx + 1; ike!tx,newspi; goto kex
		:: else -> skip /* Fig. 4 step 20: keep the stored SA */
		fi
	:: round >= ROUNDS -> goto done
	:: nempty(c2s) -> c2s?t,x,s /* stale: nothing to commit */
	:: !data_sent && len(s2c) == 0 -> data_sent = true; s2c!DATA,0,s_cur
	od;

kex: /* steps 23-24: wait for READY of this transaction */
	do
	:: c2s?t,x,s ->
		if
		:: t == READY && x == tx && s == newspi -> xmit(s2c, ACK, tx, newspi); goto waitc
		:: else -> skip
		fi
	:: goto idle          /* READY timer: step 30 */
	:: !peer_up -> goto idle
	od;

waitc: /* step 26: wait for CONFIRM */
	do
	:: c2s?t,x,s ->
		if
		:: t == CONFIRM && x == tx ->
			s_cur = newspi; /* step 27 */
			xmit(s2c, DATA, 0, s_cur);
			goto idle
		:: ROBUST && t == READY && x == tx && len(s2c) == 0 -> xmit(s2c, ACK, tx, newspi)
		:: else -> skip
		fi
#if ROBUST
	:: len(s2c) == 0 -> xmit(s2c, ACK, tx, newspi) /* retransmit, never fall back */
#else
	:: goto idle          /* CONFIRM timer: step 30, keep the old SA */
	:: !peer_up -> goto idle
#endif
	od;
done:
end_done:
	do
	:: c2s?t,x,s
	od
}

active proctype Client()
{
	byte pend, ptx, last, tries, x, s;
	mtype t;
	bool waiting;

end_wait:
	do
	:: ike?ptx,pend ->
		if
		:: waiting = true; /* steps 40-42 */
			tries = 1;
			xmit(c2s, READY, ptx, pend)
		:: faults < MAXF -> /* step 41 torn by a power cut: no READY leaves, */
			faults++;   /* the NIC restarts without the SA, the host is off */
			peer_up = false;
			waiting = false;
			pend = 0
		fi
	:: s2c?t,x,s ->
		if
		:: t == ACK &&
		   ((!ROBUST && waiting && x == ptx) || (ROBUST && pend != 0 && x == ptx && s == pend)) ->
			/* steps 44-45 */
			waiting = false;
			last = ptx;
			xmit(c2s, CONFIRM, ptx, pend);
			if
			:: ROBUST -> c_prev = c_cur
			:: else -> skip
			fi;
			c_cur = pend;
			pend = 0
		:: ROBUST && t == ACK && pend == 0 && x == last && s == c_cur && len(c2s) < CAP - 1 ->
			xmit(c2s, CONFIRM, x, s) /* idempotent */
		:: t == DATA ->
			assert(s == c_cur || (ROBUST && s == c_prev));
			if
			:: s == c_cur -> c_prev = 0
			:: else -> skip
			fi
		:: else -> skip
		fi
	:: ROBUST && waiting && tries < TRIES && len(c2s) == 0 ->
		tries++;
		xmit(c2s, READY, ptx, pend)
	:: waiting && (!ROBUST || tries >= TRIES) ->
		/* step 43, no ACK: step 52, restore. Robust keeps pend for a late ACK. */
		waiting = false;
		if
		:: !ROBUST -> pend = 0
		:: else -> skip
		fi
	:: faults < MAXF && peer_up -> faults++; peer_up = false /* host hangs */
	:: faults < MAXF -> /* reset: the host reboots, the NIC keeps NVRAM */
		faults++;
		peer_up = true;
		if
		:: waiting && !ROBUST -> waiting = false; pend = 0
		:: waiting && ROBUST && len(c2s) == 0 -> tries = 1; xmit(c2s, READY, ptx, pend)
		:: else -> skip
		fi
	od
}

active proctype Monitor()
{
	timeout -> assert(s_cur == c_cur)
}
