// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sessions: what one open file of /dev/jetfreeze holds, how a hold begins
 * (FREEZE) and ends (THAW, timeout, a limit, a removed device, the file
 * closing), and the system-wide list that STATUS and ADOPT read.
 *
 * A session is referenced by the file that owns it and, while it is a
 * PERSIST hold whose report nobody collected, by the list itself.  While a
 * session holds devices it also pins the module.
 *
 * Freezes run in parallel; one that joins a device another freeze is
 * still draining waits for that drain (dev.c).  Ending a hold never waits:
 * each device whose last holder left releases its queue in a worker of its
 * own (hold.c); THAW then waits for the releases it started, to report
 * how long they took.
 */
#include "jetfreeze.h"

#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

static LIST_HEAD(jf_sessions);
static atomic64_t jf_last_id = ATOMIC64_INIT(0);
static u64 jf_ended_seq;

static void jf_session_expire(struct work_struct *work);
static void jf_session_free(struct work_struct *work);
static void jf_orphans_trim(void);

/*
 * The releases one ended hold started, one per device it let go of last:
 * a worker waits until each device let out what it held for the hold,
 * then drops the devices, so that an ended hold whose report nobody
 * collects pins nothing, and says how long that took.  Shared by the
 * worker and the session.
 */
struct jf_release_watch {
	struct kref kref;
	struct work_struct work;
	struct completion done;
	ktime_t ended_at;
	u64 release_ns;
	unsigned int nr;
	struct {
		struct jf_dev *dev;
		u64 seq;
	} points[];
};

static void jf_release_watch_free(struct kref *kref)
{
	kfree(container_of(kref, struct jf_release_watch, kref));
}

static void jf_release_watch_put(struct jf_release_watch *w)
{
	if (w)
		kref_put(&w->kref, jf_release_watch_free);
}

static void jf_release_watch_fn(struct work_struct *work)
{
	struct jf_release_watch *w = container_of(work,
					struct jf_release_watch, work);
	ktime_t last = w->ended_at, at;
	unsigned int i;

	for (i = 0; i < w->nr; i++) {
		jf_dev_wait_released(w->points[i].dev, w->points[i].seq, &at);
		if (ktime_after(at, last))
			last = at;
		jf_dev_put(w->points[i].dev);
	}
	w->release_ns = ktime_to_ns(ktime_sub(last, w->ended_at));
	complete_all(&w->done);
	jf_release_watch_put(w);
}

struct jf_session *jf_session_new(void)
{
	struct jf_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	kref_init(&s->kref);
	mutex_init(&s->lock);
	INIT_DELAYED_WORK(&s->expire_work, jf_session_expire);
	INIT_WORK(&s->free_work, jf_session_free);
	s->attached = true;
	mutex_lock(&jf_lock);
	list_add_tail(&s->node, &jf_sessions);
	mutex_unlock(&jf_lock);
	return s;
}

/* Holds and their device references; the session is idle. */
static void jf_session_clear_holds(struct jf_session *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_holds; i++) {
		jf_bdev_close(&s->holds[i].ref);
		/* a freeze that failed let these go without a report */
		if (s->holds[i].released)
			jf_dev_put(s->holds[i].released);
	}
	jf_release_watch_put(s->watch);
	s->watch = NULL;
	kfree(s->holds);
	kfree(s->order);
	s->holds = NULL;
	s->order = NULL;
	s->nr_holds = 0;
}

static void jf_session_free(struct work_struct *work)
{
	struct jf_session *s = container_of(work, struct jf_session,
					    free_work);

	cancel_delayed_work_sync(&s->expire_work);
	jf_session_clear_holds(s);
	put_pid(s->holder);
	kfree(s);
}

/* kref_put_mutex() calls this with jf_lock held. */
static void jf_session_release(struct kref *kref)
{
	struct jf_session *s = container_of(kref, struct jf_session, kref);

	list_del(&s->node);
	mutex_unlock(&jf_lock);
	/* the expire work may be the one dropping the reference */
	queue_work(jf_wq, &s->free_work);
}

void jf_session_put(struct jf_session *s)
{
	kref_put_mutex(&s->kref, jf_session_release, &jf_lock);
}

/*
 * End the hold now, for @reason.  The flag comes first: a freeze arming
 * the expiry after this looks at it again (jf_session_arm()).
 */
void jf_session_kick(struct jf_session *s, u32 reason)
{
	atomic_cmpxchg(&s->broken, JETFREEZE_BROKEN_NONE, reason);
	mod_delayed_work(jf_wq, &s->expire_work, 0);
}

static void jf_session_held(struct jf_session *s, u64 *bios, u64 *bytes)
{
	unsigned int i;

	*bios = 0;
	*bytes = 0;
	for (i = 0; i < s->nr_holds; i++) {
		*bios += s->holds[i].held_bios;
		*bytes += s->holds[i].held_bytes;
	}
}

static void jf_session_names(struct jf_session *s, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < s->nr_holds && pos < len; i++)
		pos += scnprintf(buf + pos, len - pos, "%s%s", i ? " " : "",
				 s->order[i]->name);
}

static const char *jf_broken_name(u32 broken)
{
	switch (broken) {
	case JETFREEZE_BROKEN_TIMEOUT:		return "timeout";
	case JETFREEZE_BROKEN_HELD_BYTES:	return "too many bytes held";
	case JETFREEZE_BROKEN_HELD_BIOS:	return "too many writes held";
	case JETFREEZE_BROKEN_DEVICE_REMOVED:	return "device removed";
	case JETFREEZE_BROKEN_HOLDER_GONE:	return "holder gone";
	default:				return "none";
	}
}

/*
 * Let go of every attached device, lowest stage last attached first.  Each
 * device no one else holds starts releasing its queue, in a worker of its
 * own, so that no device waits for another's release.
 */
static void jf_session_release_holds(struct jf_session *s)
{
	int i;

	mutex_lock(&jf_lock);
	for (i = (int)s->nr_attached - 1; i >= 0; i--)
		jf_dev_detach(s->order[i]);
	s->nr_attached = 0;
	mutex_unlock(&jf_lock);
}

/*
 * Hand the devices this hold released to a new watch.  Without memory for
 * one, the devices are dropped at once and the report says 0.
 */
static void jf_session_watch_release(struct jf_session *s)
{
	struct jf_release_watch *w;
	unsigned int i, n = 0;

	for (i = 0; i < s->nr_holds; i++)
		n += !!s->holds[i].released;
	jf_release_watch_put(s->watch);
	w = kzalloc(struct_size(w, points, n), GFP_NOIO);
	s->watch = w;
	if (w) {
		kref_init(&w->kref);		/* the session's */
		INIT_WORK(&w->work, jf_release_watch_fn);
		init_completion(&w->done);
		w->ended_at = s->ended_at;
	}
	for (i = 0; i < s->nr_holds; i++) {
		struct jf_hold *h = &s->holds[i];

		if (!h->released)
			continue;
		if (w) {
			w->points[w->nr].dev = h->released;
			w->points[w->nr++].seq = h->release_seq;
		} else {
			jf_dev_put(h->released);
		}
		h->released = NULL;
	}
	if (w) {
		kref_get(&w->kref);		/* the worker's */
		queue_work(jf_wait_wq, &w->work);
	}
}

/* End a hold; s->lock held, state FROZEN. */
static void jf_session_end(struct jf_session *s, u32 reason)
{
	u64 bios, bytes;
	u32 broken;

	if (reason)
		atomic_cmpxchg(&s->broken, JETFREEZE_BROKEN_NONE, reason);
	s->ended_at = ktime_get();
	jf_session_release_holds(s);
	jf_session_watch_release(s);

	mutex_lock(&jf_lock);
	s->state = JF_S_ENDED;
	s->ended_seq = ++jf_ended_seq;
	mutex_unlock(&jf_lock);

	jf_session_held(s, &bios, &bytes);
	broken = atomic_read(&s->broken);
	if (broken)
		pr_warn("session %llu: hold broken (%s) after %lld ms; releasing %llu writes (%llu bytes); a snapshot taken meanwhile must be discarded\n",
			s->id, jf_broken_name(broken),
			ktime_ms_delta(s->ended_at, s->frozen_at), bios, bytes);
	else
		pr_info("session %llu: thawed after %lld ms; releasing %llu writes (%llu bytes)\n",
			s->id, ktime_ms_delta(s->ended_at, s->frozen_at),
			bios, bytes);
	/* the devices it released pin the module until they are empty */
	module_put(THIS_MODULE);
}

static void jf_session_expire(struct work_struct *work)
{
	struct jf_session *s = container_of(to_delayed_work(work),
					    struct jf_session, expire_work);
	u32 reason;

	jf_test_delay(JF_TEST_EXPIRE);
	mutex_lock(&s->lock);
	/* a stale run (kicked, then thawed and frozen again) finds neither */
	reason = atomic_read(&s->broken);
	if (s->state == JF_S_FROZEN &&
	    (reason || time_after_eq(jiffies, s->deadline)))
		jf_session_end(s, reason ?: JETFREEZE_BROKEN_TIMEOUT);
	mutex_unlock(&s->lock);
	jf_orphans_trim();
}

/* Freeze order: by stage, bio-based before blk-mq, then as given. */
static int jf_hold_cmp(const void *a, const void *b)
{
	const struct jf_hold *x = *(const struct jf_hold **)a;
	const struct jf_hold *y = *(const struct jf_hold **)b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->mq != y->mq)
		return x->mq ? 1 : -1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

static bool jf_same_group(const struct jf_hold *x, const struct jf_hold *y)
{
	return x->stage == y->stage && x->mq == y->mq;
}

/*
 * Open every device, refuse those a freeze cannot drain, write back each
 * device's own page cache, and put the holds in freeze order.  Nothing
 * is held yet.
 */
static int jf_session_prepare(struct jf_session *s,
			      struct jetfreeze_freeze *req,
			      const struct jetfreeze_device *devs)
{
	unsigned int i, nr = req->nr_devices;
	struct jf_hold *failed = NULL;
	int ret;

	s->holds = kcalloc(nr, sizeof(*s->holds), GFP_KERNEL);
	s->order = kcalloc(nr, sizeof(*s->order), GFP_KERNEL);
	if (!s->holds || !s->order)
		return -ENOMEM;
	s->nr_holds = nr;
	s->nr_attached = 0;
	s->id = atomic64_inc_return(&jf_last_id);
	atomic_set(&s->broken, JETFREEZE_BROKEN_NONE);
	s->flags = req->flags;
	s->limit_bytes = req->max_held_bytes;
	s->limit_bios = req->max_held_bios;

	for (i = 0; i < nr; i++) {
		struct jf_hold *h = &s->holds[i];

		h->session = s;
		h->index = i;
		h->stage = devs[i].stage;
		h->devt = MKDEV(devs[i].major, devs[i].minor);
		INIT_LIST_HEAD(&h->dev_node);
		s->order[i] = h;
		ret = jf_bdev_open(h->devt, &h->ref);
		if (ret) {
			req->failed_index = i;
			pr_info("freeze by %s[%d]: cannot open block device %u:%u (error %d)\n",
				current->comm, task_tgid_nr(current),
				devs[i].major, devs[i].minor, ret);
			return ret;
		}
		h->mq = queue_is_mq(bdev_get_queue(h->ref.bdev));
		snprintf(h->name, sizeof(h->name), "%pg", h->ref.bdev);
		ret = jf_drain_check(h);
		if (ret) {
			req->failed_index = i;
			return ret;
		}
	}
	/* before anything holds: its writeback would be held (writeback.c) */
	ret = jf_writeback_caches(s->order, nr, &failed);
	if (ret) {
		req->failed_index = failed ? failed->index : ~0U;
		return ret;
	}
	sort(s->order, nr, sizeof(*s->order), jf_hold_cmp, NULL);
	jf_drain_check_below(s->order, nr);
	return 0;
}

/* The earlier of two jiffies values. */
static unsigned long jf_earlier(unsigned long a, unsigned long b)
{
	return time_before(a, b) ? a : b;
}

/*
 * No write waits at a device longer than the ceiling, counted from when
 * the device began holding: a session that joined a device held before it
 * ends when that device's oldest write must go.
 */
static unsigned long jf_session_ceiling(struct jf_session *s)
{
	return s->oldest_hold + jf_param_hold_ceiling();
}

/*
 * FREEZE_FS: the filesystems frozen before the drain, thawed by a worker
 * once the devices hold.  A filesystem whose thaw writes (ext4 commits its
 * superblock) finishes thawing only when the hold lets that write out, so
 * the worker may wait that long; it keeps its own opens of the devices.
 */
struct jf_fs_thaw {
	struct work_struct work;
	unsigned int nr;
	struct jf_bdev refs[];
};

static void jf_fs_thaw_fn(struct work_struct *work)
{
	struct jf_fs_thaw *fs = container_of(work, struct jf_fs_thaw, work);
	int ret;

	while (fs->nr--) {
		ret = jf_fs_thaw(fs->refs[fs->nr].bdev);
		if (ret)
			pr_warn("%pg: thawing its filesystem failed (error %d)\n",
				fs->refs[fs->nr].bdev, ret);
		jf_bdev_close(&fs->refs[fs->nr]);
	}
	kfree(fs);
}

/*
 * Freeze the filesystem of every device, top of the stack first.  Refused
 * for a disk another session holds: its filesystem could not sync.
 */
static int jf_session_fs_freeze(struct jf_session *s,
				struct jetfreeze_freeze *req,
				struct jf_fs_thaw **out)
{
	struct jf_fs_thaw *fs;
	unsigned int i;
	int ret = 0;

	fs = kzalloc(struct_size(fs, refs, s->nr_holds), GFP_KERNEL);
	if (!fs)
		return -ENOMEM;
	INIT_WORK(&fs->work, jf_fs_thaw_fn);
	*out = fs;
	for (i = 0; i < s->nr_holds; i++) {
		struct jf_hold *h = s->order[i];

		if (jf_disk_held(h->ref.bdev->bd_disk)) {
			pr_info("freeze by %s[%d]: %s is held by another session; its filesystem cannot be frozen now\n",
				current->comm, task_tgid_nr(current), h->name);
			ret = -EBUSY;
		}
		if (!ret)
			ret = jf_bdev_open(h->devt, &fs->refs[fs->nr]);
		if (!ret) {
			ret = jf_fs_freeze(fs->refs[fs->nr].bdev);
			if (ret) {
				pr_warn("%s: freezing its filesystem failed (error %d)\n",
					h->name, ret);
				jf_bdev_close(&fs->refs[fs->nr]);
			}
		}
		if (ret) {
			req->failed_index = h->index;
			return ret;
		}
		fs->nr++;
	}
	return 0;
}

/* Hold and drain group by group; on failure nothing stays held. */
static int jf_session_hold_all(struct jf_session *s,
			       struct jetfreeze_freeze *req)
{
	/*
	 * The drain's own time: a long filesystem sync before it is no
	 * sign of a stuck write.  The ceiling still counts from hold_start.
	 */
	unsigned long drain_deadline = jiffies + jf_param_drain_timeout();
	struct jf_hold *failed = NULL;
	unsigned int i = 0, j, k;
	int ret = 0;

	s->oldest_hold = s->hold_start;
	while (i < s->nr_holds) {
		for (j = i + 1; j < s->nr_holds &&
		     jf_same_group(s->order[i], s->order[j]); j++)
			;
		ret = jf_devs_attach(&s->order[i], j - i);
		if (ret)
			break;
		s->nr_attached = j;
		/*
		 * The oldest start on each disk: a device we hold cannot be
		 * re-armed, so it stays.
		 */
		for (k = i; k < j; k++)
			s->oldest_hold = jf_disk_oldest_hold(
				s->order[k]->dev->disk, s->oldest_hold);
		ret = jf_drain(&s->order[i], j - i,
			       jf_earlier(drain_deadline, jf_session_ceiling(s)),
			       &failed);
		if (ret)
			break;
		i = j;
	}
	if (!ret)
		return 0;

	req->failed_index = failed ? failed->index : ~0U;
	pr_warn("freeze by %s[%d] failed%s%s (error %d); nothing stays frozen\n",
		current->comm, task_tgid_nr(current),
		failed ? " at " : "", failed ? failed->name : "", ret);
	jf_session_release_holds(s);
	return ret;
}

/*
 * Arm the expiry for the deadline, then look at the broken flag again: a
 * kick that came since the freeze began queued the expiry to run now, and
 * arming could have pushed that back to the deadline.  A kick sets the
 * flag before it queues, so one of the two always ends the hold at once.
 */
static void jf_session_arm(struct jf_session *s)
{
	jf_test_delay(JF_TEST_FREEZE_ARM);
	mod_delayed_work(jf_wq, &s->expire_work,
			 max_t(long, 0, (long)(s->deadline - jiffies)));
	smp_mb();	/* the arming above, then the flag */
	if (atomic_read(&s->broken))
		mod_delayed_work(jf_wq, &s->expire_work, 0);
}

int jf_session_freeze(struct jf_session *s, struct jetfreeze_freeze *req,
		      const struct jetfreeze_device *devs)
{
	struct jf_fs_thaw *fs = NULL;
	unsigned int noio;
	char names[160];
	ktime_t start;
	int ret;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (s->state != JF_S_IDLE) {
		ret = -EBUSY;
		goto unlock;
	}

	/*
	 * Once the first group holds, reclaim waiting for writeback of a
	 * held device would wait for us, and no timeout is armed yet.
	 */
	start = ktime_get();
	ret = jf_session_prepare(s, req, devs);
	/* writers wait from here: at the filesystems, or at the devices */
	s->hold_start = jiffies;
	if (!ret && (req->flags & JETFREEZE_FREEZE_FS))
		ret = jf_session_fs_freeze(s, req, &fs);
	if (!ret) {
		jf_test_delay(JF_TEST_ATTACH);
		noio = memalloc_noio_save();
		ret = jf_session_hold_all(s, req);
		memalloc_noio_restore(noio);
	}
	if (fs) {
		/* failed: nothing holds their writes any more, thaw now */
		if (ret)
			jf_fs_thaw_fn(&fs->work);
		else
			queue_work(jf_wait_wq, &fs->work);
	}
	if (ret) {
		jf_session_clear_holds(s);
		goto unlock;
	}

	s->drain_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	s->timeout_ms = req->timeout_ms ?: jf_param_default_timeout_ms();
	s->frozen_at = ktime_get();
	s->frozen_since_ns = ktime_get_real_ns();
	s->deadline = jf_earlier(jiffies + msecs_to_jiffies(s->timeout_ms),
				 jf_session_ceiling(s));
	put_pid(s->holder);
	s->holder = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(s->comm, current);

	__module_get(THIS_MODULE);
	mutex_lock(&jf_lock);
	s->state = JF_S_FROZEN;
	if (req->flags & JETFREEZE_FREEZE_PERSIST) {
		s->persist = true;
		kref_get(&s->kref);
	}
	mutex_unlock(&jf_lock);
	jf_session_arm(s);

	req->session_id = s->id;
	req->drain_ns = s->drain_ns;
	req->failed_index = ~0U;
	jf_session_names(s, names, sizeof(names));
	pr_info("session %llu: %s[%d] froze %s%s in %llu us (drain and flush), timeout %u ms%s%s\n",
		s->id, s->comm, task_tgid_nr(current), names,
		fs ? " and their filesystems" : "",
		div_u64(s->drain_ns, NSEC_PER_USEC), s->timeout_ms,
		time_before(jf_session_ceiling(s),
			    jiffies + msecs_to_jiffies(s->timeout_ms)) ?
		", cut short by a device held since before" : "",
		s->persist ? ", persistent" : "");
unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * End the hold if it still holds and fill in its report.  The report stays
 * pending until jf_session_collect(), so a caller that cannot deliver it
 * (bad user pointer) can ask again.
 */
int jf_session_thaw(struct jf_session *s, struct jetfreeze_thaw *rep)
{
	u64 release_ns;
	long left;
	int ret = 0;

	mutex_lock(&s->lock);
	if (s->state == JF_S_FROZEN)
		jf_session_end(s, JETFREEZE_BROKEN_NONE);
	if (s->state != JF_S_ENDED) {
		ret = -ENOENT;
		goto unlock;
	}
	/*
	 * The report says how long the release took: wait for it, but not
	 * forever (a device may be stuck); it goes on without us.
	 */
	left = s->watch ? wait_for_completion_killable_timeout(&s->watch->done,
						jf_param_drain_timeout()) : 1;
	if (left < 0) {
		ret = -EINTR;
		goto unlock;
	}
	if (!s->watch) {
		release_ns = 0;
	} else if (left) {
		release_ns = s->watch->release_ns;
	} else {
		release_ns = ktime_to_ns(ktime_sub(ktime_get(), s->ended_at));
		pr_info("session %llu: its writes are still being released after %llu ms\n",
			s->id, div_u64(release_ns, NSEC_PER_MSEC));
	}
	rep->session_id = s->id;
	rep->broken = atomic_read(&s->broken);
	rep->nr_devices = s->nr_holds;
	jf_session_held(s, &rep->held_bios, &rep->held_bytes);
	rep->frozen_ns = ktime_to_ns(ktime_sub(s->ended_at, s->frozen_at));
	rep->release_ns = release_ns;
unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/* The report of hold @id was delivered: the session is idle again. */
void jf_session_collect(struct jf_session *s, u64 id)
{
	bool drop_persist = false;

	mutex_lock(&s->lock);
	if (s->state != JF_S_ENDED || s->id != id)
		goto unlock;
	mutex_lock(&jf_lock);
	s->state = JF_S_IDLE;
	drop_persist = s->persist;
	s->persist = false;
	mutex_unlock(&jf_lock);
	jf_session_clear_holds(s);
unlock:
	mutex_unlock(&s->lock);
	/* the file still holds its own reference */
	if (drop_persist)
		jf_session_put(s);
}

/* Keep at most JF_MAX_ORPHANS unclaimed reports of ended PERSIST holds. */
static void jf_orphans_trim(void)
{
	for (;;) {
		struct jf_session *s, *oldest = NULL;
		unsigned int n = 0;

		mutex_lock(&jf_lock);
		list_for_each_entry(s, &jf_sessions, node) {
			if (!s->persist || s->attached || s->state != JF_S_ENDED)
				continue;
			n++;
			if (!oldest || s->ended_seq < oldest->ended_seq)
				oldest = s;
		}
		if (n <= JF_MAX_ORPHANS) {
			mutex_unlock(&jf_lock);
			return;
		}
		oldest->persist = false;
		pr_info("session %llu: dropping the unclaimed report of its ended hold (%s)\n",
			oldest->id,
			jf_broken_name(atomic_read(&oldest->broken)));
		mutex_unlock(&jf_lock);
		jf_session_put(oldest);
	}
}

/* The owning file is being closed. */
void jf_session_close(struct jf_session *s)
{
	mutex_lock(&s->lock);
	if (s->state == JF_S_FROZEN && !s->persist) {
		pr_warn("session %llu: the holder closed its file while frozen\n",
			s->id);
		jf_session_end(s, JETFREEZE_BROKEN_HOLDER_GONE);
	} else if (s->persist && s->state == JF_S_FROZEN) {
		pr_info("session %llu: holder closed its file; the hold persists until it times out in %u ms or is adopted and thawed\n",
			s->id, jiffies_to_msecs(max_t(long, 0,
					(long)(s->deadline - jiffies))));
	}
	mutex_lock(&jf_lock);
	s->attached = false;
	mutex_unlock(&jf_lock);
	mutex_unlock(&s->lock);

	jf_orphans_trim();
	jf_session_put(s);
}

/*
 * Find PERSIST hold @id that no file owns and give it to the caller's file,
 * where it becomes an ordinary hold of that file; @cur, the file's idle
 * session, must then be closed by the caller.
 */
struct jf_session *jf_session_adopt(struct jf_session *cur, u64 id, int *err)
{
	struct jf_session *s, *found = NULL;

	mutex_lock(&cur->lock);
	if (cur->state != JF_S_IDLE) {
		*err = -EBUSY;
		goto unlock;
	}
	mutex_lock(&jf_lock);
	list_for_each_entry(s, &jf_sessions, node) {
		if (s->id == id && s->state != JF_S_IDLE) {
			found = s;
			break;
		}
	}
	if (!found || !found->persist) {
		*err = -ENOENT;
		found = NULL;
	} else if (found->attached) {
		*err = -EBUSY;
		found = NULL;
	} else {
		/* the list's reference becomes the file's: an ordinary hold */
		found->attached = true;
		found->persist = false;
		*err = 0;
	}
	mutex_unlock(&jf_lock);
unlock:
	mutex_unlock(&cur->lock);
	if (found)
		pr_info("session %llu: adopted by %s[%d]\n", id, current->comm,
			task_tgid_nr(current));
	return found;
}

static bool jf_session_listed(const struct jf_session *s)
{
	return s->state == JF_S_FROZEN || s->state == JF_S_ENDED;
}

static pid_t jf_session_holder_vnr(struct jf_session *s)
{
	pid_t nr = 0;

	rcu_read_lock();
	if (s->holder && pid_task(s->holder, PIDTYPE_TGID))
		nr = pid_vnr(s->holder);
	rcu_read_unlock();
	return nr;
}

static void jf_status_fill(struct jetfreeze_status_entry *e,
			   struct jf_session *s, struct jf_hold *h)
{
	struct jf_dev *d = h->dev;

	e->session_id = s->id;
	e->major = MAJOR(h->devt);
	e->minor = MINOR(h->devt);
	e->holder_pid = jf_session_holder_vnr(s);
	e->flags = (s->persist ? JETFREEZE_STATUS_PERSIST : 0) |
		   (s->attached ? JETFREEZE_STATUS_ATTACHED : 0);
	e->stage = h->stage;
	e->frozen_since_ns = s->frozen_since_ns;
	strscpy(e->holder_comm, s->comm, sizeof(e->holder_comm));
	if (s->state == JF_S_ENDED) {
		e->state = JETFREEZE_STATE_ENDED;
		e->broken = atomic_read(&s->broken);
		return;
	}
	e->state = JETFREEZE_STATE_FROZEN;
	e->timeout_left_ms = jiffies_to_msecs(max_t(long, 0,
					(long)(s->deadline - jiffies)));
	if (d) {
		spin_lock_irq(&d->lock);
		e->held_bios = d->nr_held;
		e->held_bytes = d->bytes_held;
		spin_unlock_irq(&d->lock);
	}
}

static u32 jf_status_count(void)
{
	struct jf_session *s;
	u32 n = 0;

	list_for_each_entry(s, &jf_sessions, node)
		if (jf_session_listed(s))
			n += s->nr_holds;
	return n;
}

/*
 * Every device of every listed hold: up to @capacity entries into a new
 * array (*@entries, kvfree it), the count of all of them in *@total.
 * Allocates outside jf_lock: reclaim must never wait on us with it held.
 */
int jf_sessions_status(struct jetfreeze_status_entry **entries,
		       u32 capacity, u32 *total)
{
	struct jetfreeze_status_entry *e = NULL;
	struct jf_session *s;
	u32 room, k = 0;

	mutex_lock(&jf_lock);
	room = min(jf_status_count(), capacity);
	mutex_unlock(&jf_lock);
	if (room) {
		e = kvcalloc(room, sizeof(*e), GFP_KERNEL);
		if (!e)
			return -ENOMEM;
	}

	mutex_lock(&jf_lock);
	list_for_each_entry(s, &jf_sessions, node) {
		unsigned int i;

		if (!jf_session_listed(s))
			continue;
		for (i = 0; i < s->nr_holds && k < room; i++)
			jf_status_fill(&e[k++], s, s->order[i]);
	}
	*total = jf_status_count();
	mutex_unlock(&jf_lock);

	*entries = e;
	return k;
}

/* Module exit: only unclaimed reports of ended PERSIST holds remain. */
void jf_sessions_exit(void)
{
	struct jf_session *s;

	for (;;) {
		struct jf_session *found = NULL;

		mutex_lock(&jf_lock);
		list_for_each_entry(s, &jf_sessions, node) {
			if (s->persist) {
				s->persist = false;
				found = s;
				break;
			}
		}
		mutex_unlock(&jf_lock);
		if (!found)
			break;
		jf_session_put(found);
	}
	flush_workqueue(jf_wq);
	WARN_ON(!list_empty(&jf_sessions));
}

/* The errno that says why a hold ended before its snapshot was armed. */
static int jf_broken_errno(u32 broken)
{
	switch (broken) {
	case JETFREEZE_BROKEN_TIMEOUT:		return -ETIMEDOUT;
	case JETFREEZE_BROKEN_HELD_BYTES:
	case JETFREEZE_BROKEN_HELD_BIOS:	return -ENOBUFS;
	case JETFREEZE_BROKEN_DEVICE_REMOVED:	return -ENODEV;
	default:				return -ECANCELED;
	}
}

/*
 * Lock @s if it holds now: until jf_session_unlock() its hold cannot end
 * (an expiry, a kick or a thaw each takes the lock first), so what is done
 * meanwhile happens at its freeze point.  Else the errno of why not.
 */
int jf_session_lock_frozen(struct jf_session *s)
{
	int ret;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (s->state == JF_S_FROZEN)
		return 0;
	ret = s->state == JF_S_ENDED ?
	      jf_broken_errno(atomic_read(&s->broken)) : -ENOENT;
	mutex_unlock(&s->lock);
	return ret;
}

void jf_session_unlock(struct jf_session *s)
{
	mutex_unlock(&s->lock);
}

/* Under jf_session_lock_frozen(): does the hold hold @devt? */
bool jf_session_holds(struct jf_session *s, dev_t devt)
{
	unsigned int i;

	for (i = 0; i < s->nr_holds; i++)
		if (s->holds[i].devt == devt)
			return true;
	return false;
}
