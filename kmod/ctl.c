// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/jetfreeze: one session per open file, and the ioctl ABI of
 * include/uapi/linux/jetfreeze.h.  Every struct crosses with
 * copy_struct_from_user(), so older and newer callers both work, and every
 * field is checked before anything happens.
 */
#include "snapshot.h"

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

struct jf_file {
	struct mutex lock;		/* one ioctl at a time per file */
	struct jf_session *session;	/* replaced by ADOPT */
};

/* Read a struct whose first member is its size, the caller's way. */
static int jf_copy_in(void *kstruct, size_t ksize, size_t ver0,
		      const void __user *uarg, u32 *usize)
{
	u32 size;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < ver0)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	*usize = size;
	return copy_struct_from_user(kstruct, ksize, uarg, size);
}

static int jf_copy_out(void __user *uarg, const void *kstruct, size_t ksize,
		       u32 usize)
{
	return copy_to_user(uarg, kstruct, min_t(size_t, ksize, usize)) ?
		-EFAULT : 0;
}

static long jf_ioctl_version(void __user *uarg)
{
	struct jetfreeze_version v;
	u32 usize;
	int ret;

	ret = jf_copy_in(&v, sizeof(v), JETFREEZE_VERSION_SIZE_VER0, uarg,
			 &usize);
	if (ret)
		return ret;
	memset(&v, 0, sizeof(v));
	v.size = usize;
	v.abi_major = JETFREEZE_ABI_MAJOR;
	v.abi_minor = JETFREEZE_ABI_MINOR;
	v.max_devices = jf_param_max_devices();
	v.features = JETFREEZE_FEAT_FREEZE | JETFREEZE_FEAT_STATUS |
		     JETFREEZE_FEAT_PERSIST | JETFREEZE_FEAT_STAGES |
		     JETFREEZE_FEAT_HOLD_LIMITS | JETFREEZE_FEAT_FS_FREEZE |
		     JETFREEZE_FEAT_SNAPSHOT;
	v.default_timeout_ms = jf_param_default_timeout_ms();
	v.max_timeout_ms = jf_param_max_timeout_ms();
	v.max_held_bytes = jf_param_max_held_bytes();
	v.max_held_bios = jf_param_max_held_bios();
	strscpy(v.module_version, JETFREEZE_VERSION, sizeof(v.module_version));
	return jf_copy_out(uarg, &v, sizeof(v), usize);
}

/* The device array: well-formed, representable, no duplicates. */
static struct jetfreeze_device *jf_copy_devices(u64 uptr, u32 nr,
						u32 *failed_index, int *err)
{
	struct jetfreeze_device *devs;
	u32 i, j;

	devs = kvmalloc_array(nr, sizeof(*devs), GFP_KERNEL);
	if (!devs) {
		*err = -ENOMEM;
		return NULL;
	}
	if (copy_from_user(devs, jf_user_ptr(uptr),
			   array_size(nr, sizeof(*devs)))) {
		*err = -EFAULT;
		goto fail;
	}
	for (i = 0; i < nr; i++) {
		dev_t devt = MKDEV(devs[i].major, devs[i].minor);

		*err = -EINVAL;
		*failed_index = i;
		if (devs[i].reserved || MAJOR(devt) != devs[i].major ||
		    MINOR(devt) != devs[i].minor)
			goto fail;
		for (j = 0; j < i; j++)
			if (devs[j].major == devs[i].major &&
			    devs[j].minor == devs[i].minor)
				goto fail;
	}
	*failed_index = ~0U;
	*err = 0;
	return devs;
fail:
	kvfree(devs);
	return NULL;
}

static int jf_freeze_check(const struct jetfreeze_freeze *req)
{
	if (req->flags & ~JETFREEZE_FREEZE_FLAGS || req->reserved)
		return -EINVAL;
	if (!req->nr_devices)
		return -EINVAL;
	if (req->nr_devices > jf_param_max_devices())
		return -E2BIG;
	if (req->timeout_ms > jf_param_max_timeout_ms())
		return -EINVAL;
	return 0;
}

static long jf_ioctl_freeze(struct jf_file *f, void __user *uarg)
{
	struct jetfreeze_device *devs = NULL;
	struct jetfreeze_freeze req;
	struct jetfreeze_thaw undo;
	u32 usize;
	int ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_FREEZE_SIZE_VER0, uarg,
			 &usize);
	if (ret)
		return ret;
	req.session_id = 0;
	req.drain_ns = 0;
	req.failed_index = ~0U;

	ret = jf_freeze_check(&req);
	if (!ret)
		devs = jf_copy_devices(req.devices, req.nr_devices,
				       &req.failed_index, &ret);
	if (!ret)
		ret = jf_session_freeze(f->session, &req, devs);
	kvfree(devs);

	if (ret) {
		/* best effort: failed_index helps, the errno is what counts */
		jf_copy_out(uarg, &req, sizeof(req), usize);
		return ret;
	}
	if (jf_copy_out(uarg, &req, sizeof(req), usize)) {
		/* all or nothing: a hold nobody learned about must not stay */
		if (!jf_session_thaw(f->session, &undo))
			jf_session_collect(f->session, undo.session_id);
		return -EFAULT;
	}
	return 0;
}

static long jf_ioctl_thaw(struct jf_file *f, void __user *uarg)
{
	struct jetfreeze_thaw rep;
	u32 usize;
	int ret;

	ret = jf_copy_in(&rep, sizeof(rep), JETFREEZE_THAW_SIZE_VER0, uarg,
			 &usize);
	if (ret)
		return ret;
	if (rep.flags)
		return -EINVAL;
	ret = jf_session_thaw(f->session, &rep);
	if (ret)
		return ret;
	/* the report stays pending until it reached the caller */
	ret = jf_copy_out(uarg, &rep, sizeof(rep), usize);
	if (!ret)
		jf_session_collect(f->session, rep.session_id);
	return ret;
}

static long jf_ioctl_status(void __user *uarg)
{
	struct jetfreeze_status_entry *entries = NULL;
	struct jetfreeze_status req;
	u32 usize, total, i;
	void __user *base;
	int n, ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_STATUS_SIZE_VER0, uarg,
			 &usize);
	if (ret)
		return ret;
	if (req.flags)
		return -EINVAL;
	if (req.entry_size < JETFREEZE_STATUS_ENTRY_SIZE_VER0)
		return -EINVAL;
	if (req.entry_size > PAGE_SIZE)
		return -E2BIG;

	n = jf_sessions_status(&entries, req.nr_entries, &total);
	if (n < 0)
		return n;
	base = jf_user_ptr(req.entries);
	for (i = 0; i < n && !ret; i++) {
		void __user *dst = base + (size_t)i * req.entry_size;

		ret = jf_copy_out(dst, &entries[i], sizeof(entries[i]),
				  req.entry_size);
		/* fields a newer caller knows and we do not read as zero */
		if (!ret && req.entry_size > sizeof(entries[i]) &&
		    clear_user(dst + sizeof(entries[i]),
			       req.entry_size - sizeof(entries[i])))
			ret = -EFAULT;
	}
	kvfree(entries);
	if (ret)
		return ret;
	req.nr_entries = total;
	return jf_copy_out(uarg, &req, sizeof(req), usize);
}

static long jf_ioctl_adopt(struct jf_file *f, void __user *uarg)
{
	struct jetfreeze_adopt req;
	struct jf_session *s;
	u32 usize;
	int ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_ADOPT_SIZE_VER0, uarg,
			 &usize);
	if (ret)
		return ret;
	if (req.flags)
		return -EINVAL;
	s = jf_session_adopt(f->session, req.session_id, &ret);
	if (!s)
		return ret;
	jf_session_close(f->session);
	f->session = s;
	return 0;
}

static int jf_snapshot_check(const struct jetfreeze_snapshot_create *req)
{
	u32 kib = req->chunk_kib;

	if (req->flags & ~JETFREEZE_SNAPSHOT_FLAGS || req->reserved)
		return -EINVAL;
	if (!req->nr_devices || req->nr_origins > req->nr_devices)
		return -EINVAL;
	if (req->nr_devices > jf_param_max_devices())
		return -E2BIG;
	if (!req->nr_diff || req->nr_diff > JF_SNAP_MAX_DIFF)
		return -EINVAL;
	if (req->image_size < JETFREEZE_SNAPSHOT_IMAGE_SIZE_VER0)
		return -EINVAL;
	if (req->image_size > PAGE_SIZE)
		return -E2BIG;
	if (kib && (!is_power_of_2(kib) || kib < 4 || kib > 1024))
		return -EINVAL;
	if (req->timeout_ms > jf_param_max_timeout_ms())
		return -EINVAL;
	if (!memchr(req->name, 0, sizeof(req->name)))
		return -EINVAL;
	return 0;
}

/* The images, each with the caller's stride; fields we lack read as zero. */
static int jf_copy_images(const struct jetfreeze_snapshot_create *req,
			  const struct jetfreeze_snapshot_image *images,
			  unsigned int nr)
{
	void __user *base = jf_user_ptr(req->images);
	size_t ksize = sizeof(*images);
	unsigned int i;

	for (i = 0; i < nr; i++) {
		void __user *dst = base + (size_t)i * req->image_size;

		if (jf_copy_out(dst, &images[i], ksize, req->image_size))
			return -EFAULT;
		if (req->image_size > ksize &&
		    clear_user(dst + ksize, req->image_size - ksize))
			return -EFAULT;
	}
	return 0;
}

static long jf_ioctl_snapshot_create(struct jf_file *f, void __user *uarg)
{
	struct jetfreeze_snapshot_image *images = NULL;
	struct jetfreeze_snapshot_create req;
	struct jetfreeze_device *devs = NULL;
	unsigned int nr_origins;
	s32 *fds = NULL;
	u32 usize;
	int ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0,
			 uarg, &usize);
	if (ret)
		return ret;
	req.snapshot_id = 0;
	req.drain_ns = 0;
	req.hold_ns = 0;
	req.failed_index = ~0U;

	ret = jf_snapshot_check(&req);
	if (ret)
		goto out;
	nr_origins = req.nr_origins ?: req.nr_devices;
	devs = jf_copy_devices(req.devices, req.nr_devices, &req.failed_index,
			       &ret);
	if (ret)
		goto out;
	fds = kcalloc(req.nr_diff, sizeof(*fds), GFP_KERNEL);
	images = kcalloc(nr_origins, sizeof(*images), GFP_KERNEL);
	ret = -ENOMEM;
	if (!fds || !images)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(fds, jf_user_ptr(req.diff_fds),
			   array_size(req.nr_diff, sizeof(*fds))))
		goto out;

	ret = jf_snap_create(f, f->session, &req, devs, fds, images);
	if (ret)
		goto out;
	/* all or nothing: a snapshot nobody learned about must not stay */
	if (jf_copy_images(&req, images, nr_origins) ||
	    jf_copy_out(uarg, &req, sizeof(req), usize)) {
		jf_snap_delete(req.name, req.snapshot_id);
		ret = -EFAULT;
	}
	goto free;
out:
	/* best effort: failed_index helps, the errno is what counts */
	jf_copy_out(uarg, &req, sizeof(req), usize);
free:
	kfree(images);
	kfree(fds);
	kvfree(devs);
	return ret;
}

static long jf_ioctl_snapshot_delete(void __user *uarg)
{
	struct jetfreeze_snapshot_delete req;
	u32 usize;
	int ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_SNAPSHOT_DELETE_SIZE_VER0,
			 uarg, &usize);
	if (ret)
		return ret;
	if (req.flags || !memchr(req.name, 0, sizeof(req.name)))
		return -EINVAL;
	return jf_snap_delete(req.name, 0);
}

static long jf_ioctl_snapshot_list(void __user *uarg)
{
	struct jetfreeze_snapshot_entry *entries = NULL;
	struct jetfreeze_snapshot_list req;
	u32 usize, total, i;
	void __user *base;
	int n, ret;

	ret = jf_copy_in(&req, sizeof(req), JETFREEZE_SNAPSHOT_LIST_SIZE_VER0,
			 uarg, &usize);
	if (ret)
		return ret;
	if (req.flags)
		return -EINVAL;
	if (req.entry_size < JETFREEZE_SNAPSHOT_ENTRY_SIZE_VER0)
		return -EINVAL;
	if (req.entry_size > PAGE_SIZE)
		return -E2BIG;

	n = jf_snaps_list(&entries, req.nr_entries, &total);
	if (n < 0)
		return n;
	base = jf_user_ptr(req.entries);
	for (i = 0; i < n && !ret; i++) {
		void __user *dst = base + (size_t)i * req.entry_size;

		ret = jf_copy_out(dst, &entries[i], sizeof(entries[i]),
				  req.entry_size);
		if (!ret && req.entry_size > sizeof(entries[i]) &&
		    clear_user(dst + sizeof(entries[i]),
			       req.entry_size - sizeof(entries[i])))
			ret = -EFAULT;
	}
	kvfree(entries);
	if (ret)
		return ret;
	req.nr_entries = total;
	return jf_copy_out(uarg, &req, sizeof(req), usize);
}

static long jf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct jf_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case JETFREEZE_IOC_VERSION:
		return jf_ioctl_version(uarg);
	case JETFREEZE_IOC_STATUS:
		return jf_ioctl_status(uarg);
	case JETFREEZE_IOC_SNAPSHOT_LIST:
		return jf_ioctl_snapshot_list(uarg);
	case JETFREEZE_IOC_SNAPSHOT_DELETE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return jf_ioctl_snapshot_delete(uarg);
	case JETFREEZE_IOC_FREEZE:
	case JETFREEZE_IOC_THAW:
	case JETFREEZE_IOC_ADOPT:
	case JETFREEZE_IOC_SNAPSHOT_CREATE:
		break;
	default:
		return -ENOTTY;
	}

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (mutex_lock_killable(&f->lock))
		return -EINTR;
	switch (cmd) {
	case JETFREEZE_IOC_FREEZE:
		ret = jf_ioctl_freeze(f, uarg);
		break;
	case JETFREEZE_IOC_THAW:
		ret = jf_ioctl_thaw(f, uarg);
		break;
	case JETFREEZE_IOC_SNAPSHOT_CREATE:
		ret = jf_ioctl_snapshot_create(f, uarg);
		break;
	default:
		ret = jf_ioctl_adopt(f, uarg);
		break;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int jf_open(struct inode *inode, struct file *file)
{
	struct jf_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->session = jf_session_new();
	if (!f->session) {
		kfree(f);
		return -ENOMEM;
	}
	mutex_init(&f->lock);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/* The last close, also on exit, SIGKILL or OOM kill: never stay frozen. */
static int jf_release(struct inode *inode, struct file *file)
{
	struct jf_file *f = file->private_data;

	jf_session_close(f->session);
	jf_snaps_close(f);
	kfree(f);
	return 0;
}

static const struct file_operations jf_fops = {
	.owner = THIS_MODULE,
	.open = jf_open,
	.release = jf_release,
	.unlocked_ioctl = jf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice jf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "jetfreeze",
	.fops = &jf_fops,
	.mode = 0600,
};

int jf_ctl_init(void)
{
	return misc_register(&jf_misc);
}

void jf_ctl_exit(void)
{
	misc_deregister(&jf_misc);
}
