/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * System parameters (JetSetSystemParameter/JetGetSystemParameter) and the
 * snapshot mode.  Global, as ESE's are.
 */
#ifndef JETFREEZE_PARAMS_H
#define JETFREEZE_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

/* ESE's JET_paramOSSnapshotTimeout default and range. */
#define JF_TIMEOUT_DEFAULT_MS	70000UL
#define JF_TIMEOUT_MAX_MS	2147483647UL

uint32_t jf_param_timeout_ms(void);
/* Default of JET_paramCircularLog for instances created from now on. */
bool jf_param_circular_log(void);
int jf_param_mode(void);

#endif /* JETFREEZE_PARAMS_H */
