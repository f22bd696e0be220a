// SPDX-License-Identifier: LGPL-2.1-or-later
/* UTF-8 decoding (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#include "utf16.h"

#define REPLACEMENT	0xFFFD

/* Decode one code point at @s; *len gets the bytes consumed (>= 1). */
static uint32_t decode(const unsigned char *s, size_t *len)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2, cp = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, cp = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		*len = 1;
		return REPLACEMENT;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*len = i;	/* resynchronise on the bad byte */
			return REPLACEMENT;
		}
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*len = n;
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return REPLACEMENT;
	return cp;
}

size_t jf_utf8_to_utf16(const char *str, uint16_t *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t units = 0;

	while (*s) {
		size_t len;
		uint32_t cp = decode(s, &len);
		uint16_t u[2];
		size_t n = 1, i;

		s += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = (uint16_t)(0xD800 | (cp >> 10));
			u[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
			n = 2;
		} else {
			u[0] = (uint16_t)cp;
		}
		for (i = 0; i < n; i++, units++)
			if (out && units + 1 < cap)
				out[units] = u[i];
	}
	if (out && cap)
		out[units < cap ? units : cap - 1] = 0;
	return units;
}
