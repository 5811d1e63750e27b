/* Error codes shared by every module: 0 is success, failures are negative. */
#ifndef RMCPSEC_PROTO_ERR_H
#define RMCPSEC_PROTO_ERR_H

enum rmc_err {
	RMC_OK = 0,
	RMC_ETRUNC = -1,  /* input shorter than a header or a declared length */
	RMC_EINVAL = -2,  /* a field holds a value the format forbids */
	RMC_ENOSPC = -3,  /* caller's output buffer too small */
	RMC_EUNSUP = -4,  /* well-formed but not something we implement */
	RMC_ECRYPTO = -5, /* OpenSSL refused, or an ICV did not verify */
	RMC_ENOENT = -6,  /* lookup failed (unknown SPI, unknown node, ...) */
	RMC_EREPLAY = -7, /* sequence number already seen */
	RMC_ETOOOLD = -8, /* sequence number left of the replay window */
	RMC_EIO = -9,	  /* a file or the library below failed */
	RMC_ENOMEM = -10,
	RMC_ESTATE = -11, /* not allowed in the current state */
};

const char *rmc_strerror(int err);

#endif
