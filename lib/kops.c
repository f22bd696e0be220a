// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The default kernel ops: jfctl for the node, devmap for the devices.
 *
 * Kernel session files are opened O_CLOEXEC so an exec drops them, and a
 * fork child closes its copies at once (pthread_atfork): the hold must end
 * when *this* process closes the file or dies, not when the last child
 * that happened to inherit it does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "devmap.h"
#include "jfctl.h"
#include "kops.h"

/* Kernel session files open in this process, for the fork child. */
#define JF_MAX_KFDS	256

static pthread_mutex_t kfd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t kfd_once = PTHREAD_ONCE_INIT;
static int kfds[JF_MAX_KFDS];
static unsigned int nr_kfds;

static void kfd_prepare(void)
{
	pthread_mutex_lock(&kfd_lock);
}

static void kfd_parent(void)
{
	pthread_mutex_unlock(&kfd_lock);
}

static void kfd_child(void)
{
	unsigned int i;

	for (i = 0; i < nr_kfds; i++)
		close(kfds[i]);
	nr_kfds = 0;
	pthread_mutex_unlock(&kfd_lock);
}

static void kfd_init(void)
{
	pthread_atfork(kfd_prepare, kfd_parent, kfd_child);
}

static int def_open(void *priv)
{
	int fd;

	pthread_once(&kfd_once, kfd_init);
	pthread_mutex_lock(&kfd_lock);
	if (nr_kfds == JF_MAX_KFDS) {
		pthread_mutex_unlock(&kfd_lock);
		return -EMFILE;
	}
	fd = jfctl_open();
	if (fd >= 0)
		kfds[nr_kfds++] = fd;
	pthread_mutex_unlock(&kfd_lock);
	return fd;
}

static void def_close(void *priv, int fd)
{
	unsigned int i;

	pthread_mutex_lock(&kfd_lock);
	for (i = 0; i < nr_kfds; i++) {
		if (kfds[i] == fd) {
			kfds[i] = kfds[--nr_kfds];
			close(fd);
			break;
		}
	}
	pthread_mutex_unlock(&kfd_lock);
}

static int def_version(void *priv, int fd, struct jetfreeze_version *out)
{
	return jfctl_version(fd, out);
}

static int def_freeze(void *priv, int fd, const struct jetfreeze_device *devs,
		      unsigned int nr, uint32_t timeout_ms,
		      struct jetfreeze_freeze *out)
{
	/* Hold limits: the module's own caps; the library sets none. */
	return jfctl_freeze(fd, devs, nr, 0, timeout_ms, 0, 0, out);
}

static int def_thaw(void *priv, int fd, struct jetfreeze_thaw *out)
{
	return jfctl_thaw(fd, out);
}

static int def_hold_active(void *priv, int fd, uint64_t hold_id)
{
	struct jetfreeze_status_entry *e;
	unsigned int nr, i;
	int active = 0, err;

	err = jfctl_status(fd, &e, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (e[i].session_id == hold_id &&
		    e[i].state == JETFREEZE_STATE_FROZEN) {
			active = 1;
			break;
		}
	}
	free(e);
	return active;
}

static int def_resolve(void *priv, const char *path, struct jf_devset *set)
{
	dev_t dev;
	int err;

	err = jf_path_to_dev(path, &dev);
	if (!err)
		err = jf_devset_add(set, dev, JF_DEVSET_STACK);
	return err;
}

static const struct jf_kernel_ops default_ops = {
	.open = def_open,
	.close = def_close,
	.version = def_version,
	.freeze = def_freeze,
	.thaw = def_thaw,
	.hold_active = def_hold_active,
	.resolve = def_resolve,
};

static const struct jf_kernel_ops *cur_ops = &default_ops;
static void *cur_priv;

const struct jf_kernel_ops *jf_kops(void **priv)
{
	*priv = __atomic_load_n(&cur_priv, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&cur_ops, __ATOMIC_ACQUIRE);
}

void jf_kops_set(const struct jf_kernel_ops *ops, void *priv)
{
	__atomic_store_n(&cur_priv, priv, __ATOMIC_RELEASE);
	__atomic_store_n(&cur_ops, ops ? ops : &default_ops, __ATOMIC_RELEASE);
}
