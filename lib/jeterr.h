/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place where -errno becomes a JET error.  Below the ESE layer
 * everything speaks -errno; the ESE layer returns JET errors it decides
 * itself (the state machine's) or those this function derives from a lower
 * layer's -errno.  The same errno means different things at different
 * steps, hence the context.
 */
#ifndef JETFREEZE_JETERR_H
#define JETFREEZE_JETERR_H

#include <jetfreeze.h>

enum jf_errctx {
	JF_CTX_GENERIC,
	JF_CTX_THREAD,		/* creating the freeze thread */
	JF_CTX_KERNEL_OPEN,	/* opening /dev/jetfreeze, VERSION */
	JF_CTX_KERNEL_FREEZE,	/* the FREEZE ioctl */
	JF_CTX_FREEZE_IO,	/* drain, fsync, device resolution */
	JF_CTX_FREEZE_CB,	/* the engine's freeze_begin callback */
	JF_CTX_TRUNCATE,	/* the engine's truncate_log callback */
};

JET_ERR jf_jet_err(int err, enum jf_errctx ctx);

#endif /* JETFREEZE_JETERR_H */
