/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-8 -> UTF-16 for the W variants.  Linux paths are bytes; invalid
 * UTF-8 becomes U+FFFD rather than failing a Freeze that already took
 * effect (ESE's A conversion could fail at that point; ours cannot).
 */
#ifndef JETFREEZE_UTF16_H
#define JETFREEZE_UTF16_H

#include <stddef.h>
#include <stdint.h>

/*
 * Convert NUL-terminated @s.  Writes at most @cap units (NUL included) to
 * @out when it is not NULL; returns the units needed without the NUL.
 */
size_t jf_utf8_to_utf16(const char *s, uint16_t *out, size_t cap);

#endif /* JETFREEZE_UTF16_H */
