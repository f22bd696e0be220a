// SPDX-License-Identifier: GPL-2.0-only
/*
 * The uapi header alone, compiled as C and C++, 64- and 32-bit: every
 * struct has the size and field offsets the ABI promises, with no implicit
 * padding anywhere (-Wpadded is an error in tests/uapi/check).
 */
#include <stddef.h>
#include <linux/jetfreeze.h>

#ifdef __cplusplus
#define JF_ASSERT(e) static_assert(e, #e)
#else
#define JF_ASSERT(e) _Static_assert(e, #e)
#endif

#define SIZE(s, n) JF_ASSERT(sizeof(struct s) == (n))
#define AT(s, f, n) JF_ASSERT(offsetof(struct s, f) == (n))

SIZE(jetfreeze_version, JETFREEZE_VERSION_SIZE_VER0);
AT(jetfreeze_version, features, 16);
AT(jetfreeze_version, max_held_bytes, 32);
AT(jetfreeze_version, module_version, 48);

SIZE(jetfreeze_device, 16);

SIZE(jetfreeze_freeze, JETFREEZE_FREEZE_SIZE_VER0);
AT(jetfreeze_freeze, devices, 16);
AT(jetfreeze_freeze, session_id, 40);
AT(jetfreeze_freeze, failed_index, 56);

SIZE(jetfreeze_thaw, JETFREEZE_THAW_SIZE_VER0);
AT(jetfreeze_thaw, session_id, 8);
AT(jetfreeze_thaw, held_bios, 24);
AT(jetfreeze_thaw, release_ns, 48);

SIZE(jetfreeze_status, JETFREEZE_STATUS_SIZE_VER0);
AT(jetfreeze_status, entries, 16);

SIZE(jetfreeze_status_entry, JETFREEZE_STATUS_ENTRY_SIZE_VER0);
AT(jetfreeze_status_entry, frozen_since_ns, 32);
AT(jetfreeze_status_entry, holder_comm, 64);
AT(jetfreeze_status_entry, stage, 80);

SIZE(jetfreeze_adopt, JETFREEZE_ADOPT_SIZE_VER0);
AT(jetfreeze_adopt, session_id, 8);

SIZE(jetfreeze_snapshot_image, JETFREEZE_SNAPSHOT_IMAGE_SIZE_VER0);
AT(jetfreeze_snapshot_image, image_name, 16);

SIZE(jetfreeze_snapshot_create, JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0);
AT(jetfreeze_snapshot_create, devices, 16);
AT(jetfreeze_snapshot_create, images, 32);
AT(jetfreeze_snapshot_create, name, 56);
AT(jetfreeze_snapshot_create, snapshot_id, 88);
AT(jetfreeze_snapshot_create, failed_index, 112);

SIZE(jetfreeze_snapshot_delete, JETFREEZE_SNAPSHOT_DELETE_SIZE_VER0);
AT(jetfreeze_snapshot_delete, name, 8);

SIZE(jetfreeze_snapshot_entry, JETFREEZE_SNAPSHOT_ENTRY_SIZE_VER0);
AT(jetfreeze_snapshot_entry, name, 8);
AT(jetfreeze_snapshot_entry, origin, 64);
AT(jetfreeze_snapshot_entry, created_ns, 112);
AT(jetfreeze_snapshot_entry, hold_ns, 176);

SIZE(jetfreeze_snapshot_list, JETFREEZE_SNAPSHOT_LIST_SIZE_VER0);
AT(jetfreeze_snapshot_list, entries, 16);

/* the command numbers encode the first version's size and never move */
JF_ASSERT(_IOC_SIZE(JETFREEZE_IOC_FREEZE) == JETFREEZE_FREEZE_SIZE_VER0);
JF_ASSERT(_IOC_TYPE(JETFREEZE_IOC_STATUS) == JETFREEZE_IOC_MAGIC);
JF_ASSERT(_IOC_NR(JETFREEZE_IOC_ADOPT) == 4);
JF_ASSERT(_IOC_SIZE(JETFREEZE_IOC_SNAPSHOT_CREATE) ==
	  JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0);
JF_ASSERT(_IOC_NR(JETFREEZE_IOC_SNAPSHOT_LIST) == 7);

int main(void)
{
	return 0;
}
