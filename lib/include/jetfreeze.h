/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <jetfreeze.h>: Microsoft ESE's JetOSSnapshot* API on Linux.
 *
 * Source-compatible with code written against esent.h for this API: the
 * same names, constant and error values, and prototypes callable with the
 * same argument types.  Link with -ljetfreeze (pkg-config jetfreeze).
 *
 * Differences in the types, all forced by LP64 (Windows is LLP64):
 *  - JET_ERR is int32_t and JET_GRBIT uint32_t, Windows' 32-bit long;
 *  - JET_API_PTR (hence JET_INSTANCE, JET_OSSNAPID) is uintptr_t;
 *  - the `unsigned long *` counts and ids of the prototypes stay
 *    `unsigned long`, so calls written for esent.h compile unchanged;
 *  - WCHAR is a UTF-16 code unit (unsigned short), as in ESE when wchar_t
 *    is not native; the W variants use UTF-16, the A variants UTF-8.
 *
 * The engine-side API (instances, files, I/O) is in <jetfreeze/engine.h>.
 * Documentation/lib/guide.md maps every call to what the library and the
 * kernel do, and lists where this differs from ESE on purpose.
 */
#ifndef JETFREEZE_H
#define JETFREEZE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef JET_VERSION
#define JET_VERSION	0x0A00	/* everything, as esent.h without WINVER */
#endif

/* ESE's calling convention is __stdcall; it means nothing on Linux. */
#define JET_API
#define JET_NODSAPI

typedef uintptr_t JET_API_PTR;
typedef int32_t JET_ERR;
typedef JET_API_PTR JET_HANDLE;
typedef JET_API_PTR JET_INSTANCE;
typedef JET_API_PTR JET_SESID;
typedef uint32_t JET_GRBIT;
typedef JET_API_PTR JET_OSSNAPID;

#ifndef JETFREEZE_NO_WCHAR
typedef unsigned short WCHAR;
#endif

typedef char *JET_PSTR;
typedef const char *JET_PCSTR;
typedef WCHAR *JET_PWSTR;
typedef const WCHAR *JET_PCWSTR;

#define JET_instanceNil		(~(JET_INSTANCE)0)
#define JET_sesidNil		(~(JET_SESID)0)
#define JET_bitNil		((JET_GRBIT)0)

/* System parameters this library knows. */
#define JET_paramCircularLog		17	/* per instance, boolean */
#define JET_paramOSSnapshotTimeout	82	/* global, milliseconds */

/* JetOSSnapshotPrepare */
#define JET_bitIncrementalSnapshot	0x00000001
#define JET_bitCopySnapshot		0x00000002
#define JET_bitContinueAfterThaw	0x00000004
#if JET_VERSION >= 0x0601
#define JET_bitExplicitPrepare		0x00000008
#endif
/* JetOSSnapshotTruncateLog, JetOSSnapshotTruncateLogInstance: all the
 * databases are attached, so the logs the snapshot covers may go. */
#define JET_bitAllDatabasesSnapshot	0x00000001
/* JetOSSnapshotEnd: the snapshot failed. */
#define JET_bitAbortSnapshot		0x00000001

/* Errors (values as in esent.h). */
#define JET_errSuccess				0
#define JET_wrnNyi				-1
#define JET_errInternalError			-107
#define JET_errOutOfThreads			-103
#define JET_errBackupInProgress			-505
#define JET_errRestoreInProgress		-506
#define JET_errInvalidBackupSequence		-521
#define JET_errInvalidBackup			-526
#define JET_errRequiredLogFilesMissing		-543
#define JET_errMissingFullBackup		-560
#define JET_errMissingFileToBackup		-569
#define JET_errUnicodeTranslationFail		-602
#define JET_errInvalidGrbit			-900
#define JET_errTermInProgress			-1000
#define JET_errInvalidParameter			-1003
#define JET_errOutOfMemory			-1011
#define JET_errDiskIO				-1022
#define JET_errInvalidPath			-1023
#define JET_errNotInitialized			-1029
#define JET_errAlreadyInitialized		-1030
#define JET_errInitInProgress			-1031
#define JET_errFileAccessDenied			-1032
#define JET_errBufferTooSmall			-1038
#define JET_errInstanceUnavailable		-1090
#define JET_errInstanceUnavailableDueToFatalLogDiskFull	-1092
#define JET_errInvalidSesid			-1104
#define JET_errInvalidInstance			-1115
#define JET_errClientRequestToStopJetService	-1329
#define JET_errDiskFull				-1808
#define JET_errFileNotFound			-1811
#define JET_errOSSnapshotInvalidSequence	-2401
#define JET_errOSSnapshotTimeOut		-2402
#define JET_errOSSnapshotNotAllowed		-2403
#define JET_errOSSnapshotInvalidSnapId		-2404

/*
 * What Freeze and GetFreezeInfo return, one per instance of the snapshot,
 * in one allocation released with one JetFreeBuffer().
 */
typedef struct _JET_INSTANCE_INFO_A {
	JET_INSTANCE hInstanceId;
	char *szInstanceName;		/* NULL when the instance has none */
	JET_API_PTR cDatabases;
	char **szDatabaseFileName;	/* full paths */
	char **szDatabaseDisplayName;	/* entries all NULL (unused) */
	char **szDatabaseSLVFileName_Obsolete;	/* always NULL */
} JET_INSTANCE_INFO_A;

typedef struct _JET_INSTANCE_INFO_W {
	JET_INSTANCE hInstanceId;
	WCHAR *szInstanceName;
	JET_API_PTR cDatabases;
	WCHAR **szDatabaseFileName;
	WCHAR **szDatabaseDisplayName;
	WCHAR **szDatabaseSLVFileName_Obsolete;
} JET_INSTANCE_INFO_W;

#ifdef JET_UNICODE
#define JET_INSTANCE_INFO JET_INSTANCE_INFO_W
#else
#define JET_INSTANCE_INFO JET_INSTANCE_INFO_A
#endif

JET_ERR JET_API JetOSSnapshotPrepare(JET_OSSNAPID *psnapId,
				     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId,
					     JET_INSTANCE instance,
					     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotFreezeA(const JET_OSSNAPID snapId,
				     unsigned long *pcInstanceInfo,
				     JET_INSTANCE_INFO_A **paInstanceInfo,
				     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotFreezeW(const JET_OSSNAPID snapId,
				     unsigned long *pcInstanceInfo,
				     JET_INSTANCE_INFO_W **paInstanceInfo,
				     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotThaw(const JET_OSSNAPID snapId,
				  const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotAbort(const JET_OSSNAPID snapId,
				   const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId,
					 const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId,
						 JET_INSTANCE instance,
						 const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotGetFreezeInfoA(const JET_OSSNAPID snapId,
					    unsigned long *pcInstanceInfo,
					    JET_INSTANCE_INFO_A **paInstanceInfo,
					    const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotGetFreezeInfoW(const JET_OSSNAPID snapId,
					    unsigned long *pcInstanceInfo,
					    JET_INSTANCE_INFO_W **paInstanceInfo,
					    const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotEnd(const JET_OSSNAPID snapId,
				 const JET_GRBIT grbit);

/* Frees what Freeze and GetFreezeInfo returned; NULL is ignored. */
JET_ERR JET_API JetFreeBuffer(char *pbBuf);

/*
 * Only JET_paramOSSnapshotTimeout and JET_paramCircularLog are known; any
 * other id is JET_errInvalidParameter.  @sesid must be 0 or JET_sesidNil.
 */
JET_ERR JET_API JetSetSystemParameterA(JET_INSTANCE *pinstance,
				       JET_SESID sesid, unsigned long paramid,
				       JET_API_PTR lParam, JET_PCSTR szParam);
JET_ERR JET_API JetSetSystemParameterW(JET_INSTANCE *pinstance,
				       JET_SESID sesid, unsigned long paramid,
				       JET_API_PTR lParam, JET_PCWSTR szParam);
JET_ERR JET_API JetGetSystemParameterA(JET_INSTANCE instance, JET_SESID sesid,
				       unsigned long paramid,
				       JET_API_PTR *plParam, JET_PSTR szParam,
				       unsigned long cbMax);
JET_ERR JET_API JetGetSystemParameterW(JET_INSTANCE instance, JET_SESID sesid,
				       unsigned long paramid,
				       JET_API_PTR *plParam, JET_PWSTR szParam,
				       unsigned long cbMax);

/*
 * The unsuffixed names, as esent.h spells them.  The library also exports
 * JetOSSnapshotFreeze, JetOSSnapshotGetFreezeInfo, JetSetSystemParameter
 * and JetGetSystemParameter as aliases of the A variants (esent.def does
 * the same), for callers that look symbols up by name.
 */
#ifndef JETFREEZE_NO_UNSUFFIXED
#ifdef JET_UNICODE
#define JetOSSnapshotFreeze		JetOSSnapshotFreezeW
#define JetOSSnapshotGetFreezeInfo	JetOSSnapshotGetFreezeInfoW
#define JetSetSystemParameter		JetSetSystemParameterW
#define JetGetSystemParameter		JetGetSystemParameterW
#else
#define JetOSSnapshotFreeze		JetOSSnapshotFreezeA
#define JetOSSnapshotGetFreezeInfo	JetOSSnapshotGetFreezeInfoA
#define JetSetSystemParameter		JetSetSystemParameterA
#define JetGetSystemParameter		JetGetSystemParameterA
#endif
#endif

/* "0.1.0": the package version this library was built from. */
const char *jetfreeze_library_version(void);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_H */
