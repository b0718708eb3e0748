// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Split virtqueues, device side (virtio 1.2, 2.7). The rings live in
 * guest RAM and a guest vCPU may rewrite them at any moment, so: every
 * value is read once into a local and checked there, indexes are
 * reduced modulo the queue size only after they were checked, and every
 * buffer goes through vm_gpa_to_hva() before it becomes an iovec.
 */
#include "config.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include "virtqueue.h"
#include "vm.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtqueue.c reads the little-endian rings in place"
#endif

/* Ring layout (2.7.5, 2.7.6, 2.7.8): offsets in bytes. */
#define VQ_DESC_SIZE 16
#define VQ_AVAIL_FLAGS 0
#define VQ_AVAIL_IDX 2
#define VQ_AVAIL_RING 4
#define VQ_USED_FLAGS 0
#define VQ_USED_IDX 2
#define VQ_USED_RING 4
#define VQ_USED_ELEM 8

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static size_t vq_desc_bytes(uint16_t size)
{
	return (size_t)size * VQ_DESC_SIZE;
}

/* flags, idx, ring[size], used_event */
static size_t vq_avail_bytes(uint16_t size)
{
	return VQ_AVAIL_RING + 2 * (size_t)size + 2;
}

/* flags, idx, ring[size], avail_event */
static size_t vq_used_bytes(uint16_t size)
{
	return VQ_USED_RING + VQ_USED_ELEM * (size_t)size + 2;
}

static uint16_t load16(const uint8_t *p, int order)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, order);
}

static void store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)(void *)p, v, order);
}

static void store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

/*
 * Copy a descriptor out of guest memory. The compiler barrier keeps the
 * compiler from re-reading the guest's copy later instead of ours.
 * (Indirect tables need not be aligned, hence memcpy.)
 */
static void vq_read_desc(const uint8_t *p, struct vq_desc *d)
{
	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void vq_init(struct virtqueue *vq, struct vm *vm, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->vm = vm;
	vq->max_size = max_size;
	vq->size = max_size;
}

void vq_reset(struct virtqueue *vq)
{
	vq_init(vq, vq->vm, vq->max_size);
}

static bool vq_size_ok(const struct virtqueue *vq, uint16_t size)
{
	return size && size <= vq->max_size && !(size & (size - 1));
}

/* Map the rings of a queue whose size and addresses are set. */
static int vq_map(struct virtqueue *vq)
{
	uint16_t n = vq->size;

	if (!vq_size_ok(vq, n) || vq->desc_gpa % 16 || vq->avail_gpa % 2 ||
	    vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = vm_gpa_to_hva(vq->vm, vq->desc_gpa, vq_desc_bytes(n));
	vq->avail = vm_gpa_to_hva(vq->vm, vq->avail_gpa, vq_avail_bytes(n));
	vq->used = vm_gpa_to_hva(vq->vm, vq->used_gpa, vq_used_bytes(n));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		return -EFAULT;
	}
	return 0;
}

int vq_enable(struct virtqueue *vq, bool event_idx, bool indirect)
{
	int rc;

	vq->event_idx = event_idx;
	vq->indirect = indirect;
	rc = vq_map(vq);
	if (rc)
		return rc;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->ready = true;
	return 0;
}

bool vq_has_avail(struct virtqueue *vq)
{
	return vq->ready &&
	       load16(vq->avail + VQ_AVAIL_IDX, __ATOMIC_ACQUIRE) !=
		       vq->last_avail;
}

/* Make room for one more segment in @c (at most @limit in all). */
static int vq_chain_grow(struct vq_chain *c, unsigned limit)
{
	unsigned cap;
	struct iovec *iov;

	if (c->nr_rd + c->nr_wr < c->cap)
		return 0;
	cap = c->cap ? c->cap * 2 : 16;
	if (cap > limit)
		cap = limit;
	iov = realloc(c->iov, cap * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	c->iov = iov;
	c->cap = cap;
	return 0;
}

/* What vq_walk() does with each buffer descriptor of a chain. */
typedef int (*vq_buffer_fn)(struct virtqueue *vq, void *opaque,
			    const struct vq_desc *d);

/* One buffer descriptor of a chain: check it and append it to @c. */
static int vq_add_buffer(struct virtqueue *vq, void *opaque,
			 const struct vq_desc *d)
{
	struct vq_chain *c = opaque;
	bool wr = d->flags & VRING_DESC_F_WRITE;
	void *p;
	int rc;

	/* Readable buffers come first (2.7.4.2). */
	if (!wr && c->nr_wr)
		return -EINVAL;
	if (!d->len)
		return 0;
	p = vm_gpa_to_hva(vq->vm, d->addr, d->len);
	if (!p)
		return -EFAULT;
	/* The used ring reports written lengths in 32 bits. */
	if ((wr ? c->wr_len : c->rd_len) + d->len > UINT32_MAX)
		return -EINVAL;
	rc = vq_chain_grow(c, vq->size);
	if (rc)
		return rc;
	c->iov[c->nr_rd + c->nr_wr] = (struct iovec){ p, d->len };
	if (wr) {
		c->nr_wr++;
		c->wr_len += d->len;
	} else {
		c->nr_rd++;
		c->rd_len += d->len;
	}
	return 0;
}

/*
 * Walk the chain starting at @head, giving each buffer descriptor to
 * @fn. The walk ends after at most vq->size buffer descriptors (direct
 * and indirect together, 2.7.5.3.1), which is what stops a loop; an
 * indirect table is entered at most once and must not contain another
 * (2.7.5.3.1).
 */
static int vq_walk(struct virtqueue *vq, uint16_t head, vq_buffer_fn fn,
		   void *opaque)
{
	const uint8_t *table = vq->desc;
	uint32_t n = vq->size, idx = head, count = 0;
	bool in_indirect = false;
	struct vq_desc d;
	int rc;

	for (;;) {
		if (idx >= n)
			return -EINVAL;
		vq_read_desc(table + (size_t)idx * VQ_DESC_SIZE, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect ||
			    (d.flags & VRING_DESC_F_NEXT) || !d.len ||
			    d.len % VQ_DESC_SIZE ||
			    d.len / VQ_DESC_SIZE > vq->size)
				return -EINVAL;
			table = vm_gpa_to_hva(vq->vm, d.addr, d.len);
			if (!table)
				return -EFAULT;
			n = d.len / VQ_DESC_SIZE;
			idx = 0;
			in_indirect = true;
			continue;
		}
		if (++count > vq->size)
			return -EINVAL;
		rc = fn(vq, opaque, &d);
		if (rc)
			return rc;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

/* A migration sends the used ring again: we wrote into it. */
static void vq_used_written(struct virtqueue *vq)
{
	vm_mark_dirty(vq->vm, vq->used_gpa, vq_used_bytes(vq->size));
}

/* Ask for a notification when the driver's available index passes @idx. */
static void vq_set_avail_event_at(struct virtqueue *vq, uint16_t idx)
{
	store16(vq->used + VQ_USED_RING + VQ_USED_ELEM * (size_t)vq->size,
		idx, __ATOMIC_RELAXED);
	vq_used_written(vq);
}

/* Ask for a notification when the driver adds past what we took. */
static void vq_set_avail_event(struct virtqueue *vq)
{
	vq_set_avail_event_at(vq, vq->last_avail);
}

/* A device-writable buffer of a completed chain: a migration resends it. */
static int vq_mark_buffer(struct virtqueue *vq, void *opaque,
			  const struct vq_desc *d)
{
	if (d->flags & VRING_DESC_F_WRITE)
		vm_mark_dirty(vq->vm, d->addr, d->len);
	return 0;
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx, pending, head;
	int rc;

	if (!vq->ready)
		return 0;
	avail_idx = load16(vq->avail + VQ_AVAIL_IDX, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail && vq->event_idx) {
		/*
		 * Empty: ask for a kick on the next buffer, then look again
		 * in case one arrived before the driver could see the
		 * request (the full barrier orders our store before that
		 * load, pairing with the driver's).
		 */
		vq_set_avail_event(vq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = load16(vq->avail + VQ_AVAIL_IDX, __ATOMIC_ACQUIRE);
	}
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return -EINVAL;
	head = load16(vq->avail + VQ_AVAIL_RING +
			      2 * (size_t)(vq->last_avail & (vq->size - 1)),
		      __ATOMIC_RELAXED);
	c->head = head;
	c->nr_rd = c->nr_wr = 0;
	c->rd_len = c->wr_len = 0;
	rc = vq_walk(vq, head, vq_add_buffer, c);
	if (rc)
		return rc;
	vq->last_avail++;
	if (vq->event_idx)
		vq_set_avail_event(vq);
	return 1;
}

void vq_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
	if (vq->event_idx)
		vq_set_avail_event(vq);
}

bool vq_want_more(struct virtqueue *vq)
{
	uint16_t avail_idx;

	if (!vq->ready || !vq->event_idx)
		return false;
	avail_idx = load16(vq->avail + VQ_AVAIL_IDX, __ATOMIC_ACQUIRE);
	vq_set_avail_event_at(vq, avail_idx);
	/* As in vq_pop(): our store before the driver's next look. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(vq->avail + VQ_AVAIL_IDX, __ATOMIC_ACQUIRE) != avail_idx;
}

void vq_push_many(struct virtqueue *vq, const struct vq_used_elem *used,
		  unsigned n)
{
	uint8_t *e;

	if (!vq->ready || !n)
		return;
	for (unsigned i = 0; i < n; i++) {
		e = vq->used + VQ_USED_RING +
		    VQ_USED_ELEM *
			    (size_t)((uint16_t)(vq->used_idx + i) &
				     (vq->size - 1));
		store32(e, used[i].head);
		store32(e + 4, used[i].len);
	}
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	/* The elements must be visible before the index that covers them. */
	store16(vq->used + VQ_USED_IDX, vq->used_idx, __ATOMIC_RELEASE);
	/*
	 * During a migration, every writable buffer of a chain is sent
	 * again (whatever its length says: conservative), found by
	 * walking the chain once more. The driver may not change a chain
	 * the device holds (2.7.13); one that does only loses its own
	 * pages.
	 */
	if (vm_dirty_logging(vq->vm)) {
		for (unsigned i = 0; i < n; i++)
			vq_walk(vq, used[i].head, vq_mark_buffer, NULL);
		vq_used_written(vq);
	}
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	const struct vq_used_elem e = { .head = head, .len = len };

	vq_push_many(vq, &e, 1);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, event;
	bool valid;

	if (!vq->ready)
		return false;
	/* Our used->idx store must be ordered before reading flags/event. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(vq->avail + VQ_AVAIL_FLAGS, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(vq->avail + VQ_AVAIL_RING + 2 * (size_t)vq->size,
		       __ATOMIC_RELAXED);
	/* Did used_idx cross the driver's used_event since last time? */
	return (uint16_t)(vq->used_idx - event - 1) <
	       (uint16_t)(vq->used_idx - old);
}

static size_t vq_chain_copy(const struct vq_chain *c, bool writable,
			    uint64_t off, void *buf, const void *src,
			    size_t len)
{
	unsigned first = writable ? c->nr_rd : 0;
	unsigned end = writable ? c->nr_rd + c->nr_wr : c->nr_rd;
	size_t done = 0;

	for (unsigned i = first; i < end && done < len; i++) {
		const struct iovec *v = &c->iov[i];
		size_t n;

		if (off >= v->iov_len) {
			off -= v->iov_len;
			continue;
		}
		n = v->iov_len - off;
		if (n > len - done)
			n = len - done;
		if (src)
			memcpy((uint8_t *)v->iov_base + off,
			       (const uint8_t *)src + done, n);
		else
			memcpy((uint8_t *)buf + done,
			       (const uint8_t *)v->iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vq_chain_read(const struct vq_chain *c, uint64_t off, void *buf,
		     size_t len)
{
	return vq_chain_copy(c, false, off, buf, NULL, len);
}

size_t vq_chain_write(const struct vq_chain *c, uint64_t off,
		      const void *buf, size_t len)
{
	return vq_chain_copy(c, true, off, NULL, buf, len);
}

int vq_chain_slice(const struct vq_chain *c, bool writable, uint64_t off,
		   uint64_t len, struct iovec *out, unsigned max)
{
	unsigned first = writable ? c->nr_rd : 0;
	unsigned end = writable ? c->nr_rd + c->nr_wr : c->nr_rd;
	uint64_t total = writable ? c->wr_len : c->rd_len;
	unsigned nr = 0;

	if (off > total || len > total - off)
		return -EINVAL;
	for (unsigned i = first; i < end && len; i++) {
		const struct iovec *v = &c->iov[i];
		uint64_t n;

		if (off >= v->iov_len) {
			off -= v->iov_len;
			continue;
		}
		if (nr == max)
			return -EINVAL;
		n = v->iov_len - off;
		if (n > len)
			n = len;
		out[nr++] = (struct iovec){ (uint8_t *)v->iov_base + off, n };
		len -= n;
		off = 0;
	}
	return (int)nr;
}

void vq_chain_dispose(struct vq_chain *c)
{
	free(c->iov);
	memset(c, 0, sizeof(*c));
}

static int vq_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = json_object_new_uint64(v);

	if (!j || json_object_object_add(o, key, j)) {
		json_object_put(j);
		return -ENOMEM;
	}
	return 0;
}

int vq_save(const struct virtqueue *vq, struct json_object **out)
{
	struct json_object *o = json_object_new_object();
	int rc = o ? 0 : -ENOMEM;

	if (!rc)
		rc = vq_add_u64(o, "size", vq->size);
	if (!rc)
		rc = vq_add_u64(o, "ready", vq->ready);
	if (!rc)
		rc = vq_add_u64(o, "desc", vq->desc_gpa);
	if (!rc)
		rc = vq_add_u64(o, "avail", vq->avail_gpa);
	if (!rc)
		rc = vq_add_u64(o, "used", vq->used_gpa);
	if (!rc)
		rc = vq_add_u64(o, "last_avail", vq->last_avail);
	if (!rc)
		rc = vq_add_u64(o, "used_idx", vq->used_idx);
	if (!rc)
		rc = vq_add_u64(o, "event_idx", vq->event_idx);
	if (!rc)
		rc = vq_add_u64(o, "indirect", vq->indirect);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* A non-negative integer member of @o no larger than @max. */
static int vq_get_u64(struct json_object *o, const char *key, uint64_t max,
		      uint64_t *v)
{
	struct json_object *j;

	if (!json_object_object_get_ex(o, key, &j) ||
	    !json_object_is_type(j, json_type_int))
		return -EINVAL;
	/* json-c stores large unsigned values as uint64, small as int64. */
	if (json_object_get_int64(j) < 0)
		return -EINVAL;
	*v = json_object_get_uint64(j);
	return *v <= max ? 0 : -EINVAL;
}

int vq_restore(struct virtqueue *vq, struct json_object *state)
{
	uint64_t size, ready, desc, avail, used, last, uidx, ev, ind;
	int rc = -EINVAL;

	if (!json_object_is_type(state, json_type_object))
		goto out_reset;
	if (vq_get_u64(state, "size", vq->max_size, &size) ||
	    vq_get_u64(state, "ready", 1, &ready) ||
	    vq_get_u64(state, "desc", UINT64_MAX, &desc) ||
	    vq_get_u64(state, "avail", UINT64_MAX, &avail) ||
	    vq_get_u64(state, "used", UINT64_MAX, &used) ||
	    vq_get_u64(state, "last_avail", UINT16_MAX, &last) ||
	    vq_get_u64(state, "used_idx", UINT16_MAX, &uidx) ||
	    vq_get_u64(state, "event_idx", 1, &ev) ||
	    vq_get_u64(state, "indirect", 1, &ind))
		goto out_reset;
	vq_reset(vq);
	vq->size = (uint16_t)size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->event_idx = ev;
	vq->indirect = ind;
	if (ready) {
		rc = vq_map(vq);
		if (rc)
			goto out_reset;
		vq->ready = true;
	}
	vq->last_avail = (uint16_t)last;
	vq->used_idx = (uint16_t)uidx;
	return 0;

out_reset:
	vq_reset(vq);
	return -EINVAL;
}
