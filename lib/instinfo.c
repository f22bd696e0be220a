// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Instance info for Freeze/GetFreezeInfo, laid out as ESE does: one block
 * holding [N x JET_INSTANCE_INFO][per instance: file name and display name
 * pointer slots][strings], so a single JetFreeBuffer releases it all.
 *
 * Listed: the instances whose snapshot is @s; per instance its DATABASE
 * files in registration order (ESE: attached, logged databases by dbid;
 * the temporary database excluded).  Display names are NULL ("currently
 * unused"), the SLV array is always NULL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jetfreeze/engine.h>

#include "global.h"
#include "instance.h"
#include "instinfo.h"
#include "session.h"
#include "utf16.h"

/* A and W share the layout; only the character size differs. */
struct layout {
	bool wide;
	size_t nr_inst;
	size_t nr_slots;	/* pointer slots, both arrays of every instance */
	size_t chars;		/* string characters, NULs included */
};

static size_t str_chars(const char *s, bool wide)
{
	return (wide ? jf_utf8_to_utf16(s, NULL, 0) : strlen(s)) + 1;
}

static bool listed(const struct jetfreeze_file *f)
{
	return f->kind == JETFREEZE_FILE_DATABASE;
}

static void measure(struct jf_session *s, struct layout *l)
{
	struct jf_instance *inst;
	struct jetfreeze_file *f;

	for (inst = jf_g.instances; inst; inst = inst->next) {
		if (inst->session != s)
			continue;
		l->nr_inst++;
		if (inst->name)
			l->chars += str_chars(inst->name, l->wide);
		for (f = inst->files; f; f = f->next) {
			if (!listed(f))
				continue;
			l->nr_slots += 2;
			l->chars += str_chars(f->path, l->wide);
		}
	}
}

/* Copy @src into the string area at *strings; return where it went. */
static void *put_str(const char *src, bool wide, char **strings)
{
	void *dst = *strings;
	size_t n = str_chars(src, wide);

	if (wide)
		jf_utf8_to_utf16(src, dst, n);
	else
		memcpy(dst, src, n);
	*strings += n * (wide ? sizeof(WCHAR) : 1);
	return dst;
}

static void fill(struct jf_session *s, const struct layout *l, char *block)
{
	size_t info_size = l->wide ? sizeof(JET_INSTANCE_INFO_W)
				   : sizeof(JET_INSTANCE_INFO_A);
	void **slot = (void **)(block + l->nr_inst * info_size);
	char *strings = (char *)(slot + l->nr_slots);
	struct jf_instance *inst;
	struct jetfreeze_file *f;
	size_t i = 0;

	for (inst = jf_g.instances; inst; inst = inst->next) {
		/* Both structs have the same layout; fill through A. */
		JET_INSTANCE_INFO_A *info;
		size_t nr_db = 0, d = 0;

		if (inst->session != s)
			continue;
		info = (JET_INSTANCE_INFO_A *)(block + i++ * info_size);
		for (f = inst->files; f; f = f->next)
			nr_db += listed(f);
		info->hInstanceId = inst->id;
		info->szInstanceName = inst->name ?
			put_str(inst->name, l->wide, &strings) : NULL;
		info->cDatabases = nr_db;
		info->szDatabaseSLVFileName_Obsolete = NULL;
		if (!nr_db && l->wide) {
			info->szDatabaseFileName = NULL;
			info->szDatabaseDisplayName = NULL;
			continue;
		}
		/* A: even with no database, pointers into the block. */
		info->szDatabaseFileName = (char **)slot;
		info->szDatabaseDisplayName = (char **)(slot + nr_db);
		for (f = inst->files; f; f = f->next) {
			if (!listed(f))
				continue;
			slot[d] = put_str(f->path, l->wide, &strings);
			slot[nr_db + d] = NULL;
			d++;
		}
		slot += 2 * nr_db;
	}
}

int jf_instinfo_build(struct jf_session *s, bool wide, unsigned long *count,
		      void **array)
{
	struct layout l = { .wide = wide };
	size_t info_size = wide ? sizeof(JET_INSTANCE_INFO_W)
				: sizeof(JET_INSTANCE_INFO_A);
	size_t size;
	char *block;

	measure(s, &l);
	if (!l.nr_inst) {
		*count = 0;
		if (wide) {
			*array = NULL;
			return 0;
		}
		/* ESE: HeapAlloc(0), a real pointer the caller frees. */
		*array = malloc(1);
		return *array ? 0 : -ENOMEM;
	}
	size = l.nr_inst * info_size + l.nr_slots * sizeof(void *) +
	       l.chars * (wide ? sizeof(WCHAR) : 1);
	block = calloc(1, size);
	if (!block)
		return -ENOMEM;
	fill(s, &l, block);
	*count = (unsigned long)l.nr_inst;
	*array = block;
	return 0;
}
