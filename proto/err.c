#include "proto/err.h"

const char *
rmc_strerror(int err)
{
	switch (err) {
	case RMC_OK:
		return "ok";
	case RMC_ETRUNC:
		return "truncated";
	case RMC_EINVAL:
		return "invalid field";
	case RMC_ENOSPC:
		return "output buffer too small";
	case RMC_EUNSUP:
		return "unsupported";
	case RMC_ECRYPTO:
		return "cryptographic failure";
	case RMC_ENOENT:
		return "not found";
	case RMC_EREPLAY:
		return "replayed";
	case RMC_ETOOOLD:
		return "too old for the replay window";
	case RMC_EIO:
		return "input/output error";
	case RMC_ENOMEM:
		return "out of memory";
	case RMC_ESTATE:
		return "not allowed in this state";
	}
	return "unknown error";
}
