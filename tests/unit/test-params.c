// SPDX-License-Identifier: GPL-2.0-only
/*
 * JetSetSystemParameter / JetGetSystemParameter (A and W) for
 * JET_paramOSSnapshotTimeout (global, ms, 0..2^31-1, default 70000) and
 * JET_paramCircularLog (per instance, fixed once started), and the
 * snapshot mode.
 */
#include <errno.h>

#include "helpers.h"

#define BOGUS_INST	((JET_INSTANCE)0x7fff5678)

static void timeout_default_and_range(void **state)
{
	JET_API_PTR v = 0;

	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
						&v, NULL, 0), 0);
	assert_int_equal(v, 70000);
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout, 0,
						NULL), 0);
	assert_int_equal(JetGetSystemParameterW(JET_instanceNil, JET_sesidNil,
						JET_paramOSSnapshotTimeout,
						&v, NULL, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(JetSetSystemParameterW(NULL, JET_sesidNil,
						JET_paramOSSnapshotTimeout,
						2147483647, NULL), 0);
	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
						&v, NULL, 0), 0);
	assert_int_equal(v, 2147483647);
	/* Out of range leaves the value alone. */
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						2147483648UL, NULL),
			 JET_errInvalidParameter);
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						(JET_API_PTR)-1, NULL),
			 JET_errInvalidParameter);
	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
						&v, NULL, 0), 0);
	assert_int_equal(v, 2147483647);
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						70000, NULL), 0);
}

static void bad_arguments(void **state)
{
	JET_INSTANCE bogus = BOGUS_INST;
	JET_API_PTR v;

	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
						NULL, NULL, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramCircularLog,
						NULL, NULL, 0),
			 JET_errInvalidParameter);
	/* Parameters this library does not know. */
	assert_int_equal(JetSetSystemParameterA(NULL, 0, 0, 1, NULL),
			 JET_errInvalidParameter);
	assert_int_equal(JetSetSystemParameterA(NULL, 0, 83, 1, NULL),
			 JET_errInvalidParameter);
	assert_int_equal(JetGetSystemParameterW(0, 0, 9999, &v, NULL, 0),
			 JET_errInvalidParameter);
	/* No JET sessions here: any real sesid is invalid. */
	assert_int_equal(JetSetSystemParameterA(NULL, 42,
						JET_paramOSSnapshotTimeout, 1,
						NULL), JET_errInvalidSesid);
	assert_int_equal(JetGetSystemParameterA(0, 42,
						JET_paramOSSnapshotTimeout, &v,
						NULL, 0), JET_errInvalidSesid);
	/* An unknown instance handle. */
	assert_int_equal(JetSetSystemParameterA(&bogus, 0,
						JET_paramOSSnapshotTimeout, 1,
						NULL), JET_errInvalidInstance);
	assert_int_equal(JetGetSystemParameterA(bogus, 0, JET_paramCircularLog,
						&v, NULL, 0),
			 JET_errInvalidInstance);
}

static void circular_log_per_instance(void **state)
{
	JET_INSTANCE inst, inherits;
	JET_API_PTR v = 9;

	assert_int_equal(jetfreeze_instance_create(&inst, "c", NULL, NULL), 0);
	assert_int_equal(JetGetSystemParameterA(inst, 0, JET_paramCircularLog,
						&v, NULL, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(JetSetSystemParameterA(&inst, 0, JET_paramCircularLog,
						1, NULL), 0);
	assert_int_equal(JetGetSystemParameterA(inst, 0, JET_paramCircularLog,
						&v, NULL, 0), 0);
	assert_int_equal(v, 1);
	/* The global default is untouched, then changed for new instances. */
	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramCircularLog, &v,
						NULL, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(JetSetSystemParameterA(NULL, 0, JET_paramCircularLog,
						1, NULL), 0);
	assert_int_equal(jetfreeze_instance_create(&inherits, NULL, NULL, NULL), 0);
	assert_int_equal(JetGetSystemParameterW(inherits, 0,
						JET_paramCircularLog, &v, NULL,
						0), 0);
	assert_int_equal(v, 1);
	assert_int_equal(JetSetSystemParameterA(NULL, 0, JET_paramCircularLog,
						0, NULL), 0);

	/* Fixed once the instance started; setting the same value is fine. */
	assert_int_equal(jetfreeze_instance_start(inst), 0);
	assert_int_equal(JetSetSystemParameterA(&inst, 0, JET_paramCircularLog,
						0, NULL),
			 JET_errAlreadyInitialized);
	assert_int_equal(JetSetSystemParameterA(&inst, 0, JET_paramCircularLog,
						1, NULL), 0);
	/* A global parameter through an instance is still global. */
	assert_int_equal(JetSetSystemParameterA(&inst, 0,
						JET_paramOSSnapshotTimeout, 1234,
						NULL), 0);
	assert_int_equal(JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
						&v, NULL, 0), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						70000, NULL), 0);

	/* An instance being restored cannot be entered. */
	assert_int_equal(jetfreeze_instance_set_flags(inherits,
						JETFREEZE_INST_RESTORING, 0), 0);
	assert_int_equal(JetGetSystemParameterA(inherits, 0,
						JET_paramCircularLog, &v, NULL,
						0), JET_errRestoreInProgress);

	assert_int_equal(jetfreeze_instance_stop(inst, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(inst), 0);
	assert_int_equal(jetfreeze_instance_destroy(inherits), 0);
}

static void unsuffixed_macros_and_mode(void **state)
{
	JET_API_PTR v;

	assert_int_equal(JetSetSystemParameter(NULL, 0,
					       JET_paramOSSnapshotTimeout, 10,
					       NULL), 0);
	assert_int_equal(JetGetSystemParameter(0, 0, JET_paramOSSnapshotTimeout,
					       &v, NULL, 0), 0);
	assert_int_equal(v, 10);
	assert_int_equal(JetSetSystemParameter(NULL, 0,
					       JET_paramOSSnapshotTimeout,
					       70000, NULL), 0);

	assert_int_equal(jetfreeze_get_mode(), JETFREEZE_MODE_KERNEL);
	assert_int_equal(jetfreeze_set_mode(2), -EINVAL);
	assert_int_equal(jetfreeze_set_mode(-1), -EINVAL);
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE), 0);
	assert_int_equal(jetfreeze_get_mode(), JETFREEZE_MODE_USERSPACE);
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_KERNEL), 0);
	assert_non_null(jetfreeze_library_version());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timeout_default_and_range),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(circular_log_per_instance),
		cmocka_unit_test(unsuffixed_macros_and_mode),
	};

	return run_group(tests);
}
