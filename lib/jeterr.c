// SPDX-License-Identifier: LGPL-2.1-or-later
/* -errno -> JET_err*, see jeterr.h and Documentation/lib/guide.md. */
#include <errno.h>

#include "jeterr.h"

static JET_ERR generic(int e)
{
	switch (e) {
	case ENOMEM:
		return JET_errOutOfMemory;
	case EIO:
		return JET_errDiskIO;
	case ENOSPC:
	case EDQUOT:
		return JET_errDiskFull;
	case ENOENT:
		return JET_errFileNotFound;
	case EACCES:
	case EPERM:
	case EROFS:
		return JET_errFileAccessDenied;
	case ENAMETOOLONG:
	case ELOOP:
		return JET_errInvalidPath;
	case EINVAL:
		return JET_errInvalidParameter;
	case EAGAIN:
		return JET_errOutOfThreads;
	}
	return JET_errInternalError;
}

JET_ERR jf_jet_err(int err, enum jf_errctx ctx)
{
	int e = -err;

	if (err >= 0)
		return JET_errSuccess;
	if (e == ENOMEM)
		return JET_errOutOfMemory;

	switch (ctx) {
	case JF_CTX_GENERIC:
		break;
	case JF_CTX_THREAD:
		return JET_errOutOfThreads;
	case JF_CTX_KERNEL_OPEN:
		/* No module, no permission, not our node, ABI mismatch: the
		 * snapshot cannot be taken (the log line says which). */
		return JET_errOSSnapshotNotAllowed;
	case JF_CTX_KERNEL_FREEZE:
		if (e == ETIMEDOUT)
			return JET_errOSSnapshotTimeOut;	/* drain too slow */
		if (e == EIO)
			return JET_errDiskIO;
		return JET_errOSSnapshotNotAllowed;
	case JF_CTX_FREEZE_IO:
		if (e == ETIMEDOUT)
			return JET_errOSSnapshotTimeOut;
		if (e == ENOTBLK || e == ENODEV || e == ENXIO)
			return JET_errOSSnapshotNotAllowed;
		break;
	case JF_CTX_FREEZE_CB:
		switch (e) {
		case ENODATA:
			return JET_errMissingFullBackup;
		case ENOENT:
			return JET_errMissingFileToBackup;
		case EINVAL:
			return JET_errInvalidBackup;
		case EBUSY:
			return JET_errOSSnapshotNotAllowed;
		}
		break;
	case JF_CTX_TRUNCATE:
		if (e == ENOENT)
			return JET_errRequiredLogFilesMissing;
		break;
	}
	return generic(e);
}
