// SPDX-License-Identifier: GPL-2.0-only
/*
 * The submit path: where the redirected submit_bio_noacct() calls land, and
 * how held bios go back in.  It records the write (track.c), then asks
 * the devices whether one of them takes it (dev.c); otherwise the bio goes
 * on to the original function.
 */
#include "jetfreeze.h"

/*
 * The original function.  Called from this module, so its ftrace callback
 * sees a parent inside us and does not redirect again.
 */
static noinline void notrace jf_submit_original(struct bio *bio)
{
	submit_bio_noacct(bio);
	/*
	 * Keep the call above out of tail position: as a sibling call its
	 * parent would be our caller's caller, the redirect would fire again
	 * and we would recurse until the stack overflows.
	 */
	barrier();
}

/* Hold the bio or pass it on, @skip aside; the bio is ours no more after. */
static void notrace jf_submit(struct bio *bio, struct jf_dev *skip)
{
	struct jf_track self, *t;

	/* once held, the bio may complete and go at any moment */
	t = jf_track_begin(&self, bio->bi_bdev->bd_disk, skip);
	/* a piece of a released bio, resubmitted while it is dispatched */
	if (t != &self)
		skip = t->skip;
	if (!jf_hold_bio(bio, skip) && !jf_cow_bio(bio, t, skip))
		jf_submit_original(bio);
	if (t == &self)
		jf_track_end(&self);
}

/* Where the write-class calls of submit_bio_noacct() are redirected. */
void notrace jf_submit_bio(struct bio *bio)
{
	jf_submit(bio, NULL);
}

/*
 * A bio @from held goes back in.  Another device may hold it now (a write
 * through a whole-disk node that also crosses another held partition, a
 * clone on its way down), but not @from, which lets it out in order; nor
 * does @from hold the pieces of it that are resubmitted while it is
 * dispatched (a split remainder, a stacked driver's remainder).
 */
void jf_submit_released(struct bio *bio, struct jf_dev *from)
{
	jf_submit(bio, from);
}
