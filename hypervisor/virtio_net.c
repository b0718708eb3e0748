// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net (virtio 1.2, 5.1) over a tap: receive queue 0, transmit
 * queue 1, control queue 2 (announce only). The tap carries the same
 * 12-byte virtio_net_hdr_v1 in front of each frame, so checksum and
 * segmentation offloads pass through it as they are (vnet_offloads()):
 * a guest that took CSUM and HOST_TSO4/6 hands over partly checksummed
 * frames of up to 64 KiB, which the host kernel checksums and segments
 * only if and where it must (another host's NIC does it in hardware);
 * one that took GUEST_CSUM and GUEST_TSO4/6 is given what the tap
 * holds as it is, after TUNSETOFFLOAD says it may. The header of each
 * transmitted frame is checked against what the guest negotiated; the
 * kernel checks it again against the frame. Receiving is driven
 * by the tap fd becoming readable, and only while the guest has
 * receive buffers: with none we stop reading, so frames wait (and, if
 * the guest never catches up, are dropped and counted) in the host's
 * tap queue rather than vanishing here. A driver that took MRG_RXBUF
 * posts small buffers and gets a large frame spread over several
 * (vnet_rx_place()); one frame too large for the buffers it has now
 * waits here for more.
 *
 * I/O limits (ratelimit.h): a frame the transmit buckets cannot take
 * yet goes back on the ring, and receiving stops while the receive
 * buckets are empty (frames wait in the tap's queue, as with no
 * buffers); a timer per direction resumes it. Nothing is dropped for
 * a limit: the guest is only slowed.
 *
 * The control queue exists for VIRTIO_NET_F_GUEST_ANNOUNCE: after an
 * incoming migration's resume the config status says ANNOUNCE and the
 * guest sends its gratuitous ARPs and unsolicited neighbour adverts,
 * then acknowledges (VIRTIO_NET_CTRL_ANNOUNCE_ACK); every other class
 * is answered VIRTIO_NET_ERR. A stream saved before the queue existed
 * restores with it reset: the driver there never took CTRL_VQ.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "hv_error.h"
#include "log.h"
#include "ratelimit.h"
#include "virtio.h"
#include "virtio_net.h"
#include "vm.h"
#include "vmm.h"

#define VNET_QUEUE_SIZE 256
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_CTRLQ 2
#define VNET_HDR_LEN 12 /* virtio_net_hdr_v1: num_buffers included */
#define VNET_CONFIG_SIZE 8 /* mac[6], le16 status */
/* What a tap takes or gives at most: a 64 KiB GSO frame and headers. */
#define VNET_MAX_FRAME (65536 + 128)
#define VNET_RX_BUDGET 64 /* frames per wakeup, for fairness */

struct vnet {
	struct virtio_dev vdev; /* first */
	int tap_fd;
	char ifname[IFNAMSIZ];
	uint8_t mac[6];
	struct event *rx_ev;
	bool rx_armed;
	struct vq_chain rx_chain, tx_chain, ctrl_chain;
	struct iovec tx_iov[VNET_QUEUE_SIZE + 1];
	uint8_t frame[VNET_HDR_LEN + VNET_MAX_FRAME];
	/*
	 * Receiving into mergeable buffers (MRG_RXBUF): the frame's bytes
	 * in frame[0, rx_pending) when the guest had too few buffers for
	 * it (it waits there for more, the tap unread meanwhile), and the
	 * chains after the first one that hold a frame as it is placed.
	 */
	size_t rx_pending;
	struct vq_chain rx_more;
	struct vq_used_elem rx_used[VNET_QUEUE_SIZE];
	uint64_t rx_packets, rx_bytes, rx_too_big, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped;
	struct ratelimit rl;
	struct rl_throttle rx_throttle, tx_throttle;
	struct event *rx_timer, *tx_timer; /* a direction rests until */
	bool announce; /* VIRTIO_NET_S_ANNOUNCE: until the guest's ACK */
};

static struct vnet *to_vnet(struct virtio_dev *vdev)
{
	return (struct vnet *)vdev;
}

/* The offloads offered; the driver takes what it wants of them. */
#define VNET_OFFLOADS                                                        \
	(VIRTIO_FEAT(VIRTIO_NET_F_CSUM) |                                    \
	 VIRTIO_FEAT(VIRTIO_NET_F_GUEST_CSUM) |                              \
	 VIRTIO_FEAT(VIRTIO_NET_F_HOST_TSO4) |                               \
	 VIRTIO_FEAT(VIRTIO_NET_F_HOST_TSO6) |                               \
	 VIRTIO_FEAT(VIRTIO_NET_F_HOST_ECN) |                                \
	 VIRTIO_FEAT(VIRTIO_NET_F_GUEST_TSO4) |                              \
	 VIRTIO_FEAT(VIRTIO_NET_F_GUEST_TSO6) |                              \
	 VIRTIO_FEAT(VIRTIO_NET_F_GUEST_ECN))

static bool vnet_has(const struct vnet *n, unsigned bit)
{
	return n->vdev.guest_features & VIRTIO_FEAT(bit);
}

/*
 * Tell the tap which offloads it may leave to the guest on the frames
 * it gives us: what the driver negotiated (its receive side), nothing
 * after a reset. The kernel takes segmentation only with checksums.
 */
static void vnet_offloads(struct vnet *n, bool on)
{
	unsigned flags = 0;

	if (n->tap_fd < 0)
		return;
	if (on && vnet_has(n, VIRTIO_NET_F_GUEST_CSUM)) {
		flags = TUN_F_CSUM;
		if (vnet_has(n, VIRTIO_NET_F_GUEST_TSO4))
			flags |= TUN_F_TSO4;
		if (vnet_has(n, VIRTIO_NET_F_GUEST_TSO6))
			flags |= TUN_F_TSO6;
		if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) &&
		    vnet_has(n, VIRTIO_NET_F_GUEST_ECN))
			flags |= TUN_F_TSO_ECN;
	}
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, flags) < 0)
		log_warn("%s: tap %s refused offloads %#x: %s; frames come checksummed and segmented.",
			 n->vdev.dev.id, n->ifname, flags, strerror(errno));
}

/*
 * Whether a received frame's header claims only what the driver took.
 * The tap was told what it may leave undone (vnet_offloads()), but it
 * says DATA_VALID of a checksum the host checked whatever it was told:
 * that is dropped for a driver without GUEST_CSUM, which checks itself
 * (5.1.6.4.1). A frame left unchecksummed or unsegmented for a driver
 * that did not take it cannot be given to it at all.
 */
static bool vnet_rx_hdr_ok(const struct vnet *n, struct virtio_net_hdr_v1 *h)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (!vnet_has(n, VIRTIO_NET_F_GUEST_CSUM))
		h->flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID;
	if (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
			 VIRTIO_NET_HDR_F_DATA_VALID))
		return false;
	if (h->flags && !vnet_has(n, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !vnet_has(n, VIRTIO_NET_F_GUEST_ECN))
		return false;
	return gso == VIRTIO_NET_HDR_GSO_NONE ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		vnet_has(n, VIRTIO_NET_F_GUEST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		vnet_has(n, VIRTIO_NET_F_GUEST_TSO6));
}

/*
 * Whether a transmitted frame of @len bytes (after the header) asks
 * only for what the driver took, and points inside the frame: a
 * partial checksum (CSUM) at csum_start + csum_offset, segments of
 * gso_size (HOST_TSO4/6, ECN with HOST_ECN), which need that checksum.
 */
static bool vnet_tx_hdr_ok(const struct vnet *n,
			   const struct virtio_net_hdr_v1 *h, uint64_t len)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (csum && (!vnet_has(n, VIRTIO_NET_F_CSUM) ||
		     (uint64_t)h->csum_start + h->csum_offset + 2 > len))
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN);
	if (!csum || !h->gso_size || h->hdr_len > len ||
	    ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	     !vnet_has(n, VIRTIO_NET_F_HOST_ECN)))
		return false;
	return (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		vnet_has(n, VIRTIO_NET_F_HOST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		vnet_has(n, VIRTIO_NET_F_HOST_TSO6));
}

static void vnet_config_read(struct virtio_dev *vdev, uint32_t off,
			     void *data, unsigned len)
{
	struct vnet *n = to_vnet(vdev);
	uint8_t cfg[VNET_CONFIG_SIZE];
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	if (n->announce)
		status |= VIRTIO_NET_S_ANNOUNCE;

	memcpy(cfg, n->mac, 6);
	memcpy(cfg + 6, &status, 2);
	memcpy(data, cfg + off, len);
}

static void vnet_rx_arm(struct vnet *n, bool on)
{
	if (on == n->rx_armed)
		return;
	if (on ? event_add(n->rx_ev, NULL) : event_del(n->rx_ev)) {
		log_warn("%s: cannot %s receiving from tap %s.", n->vdev.dev.id,
			 on ? "start" : "stop", n->ifname);
		return;
	}
	n->rx_armed = on;
}

/*
 * May one more frame be received under the I/O limits? Whether there
 * is one and its size are known only once read, so the buckets are
 * only checked here and charged once the frame is the guest's. If not,
 * the timer is armed for when it may.
 */
static bool vnet_rx_admit(struct vnet *n)
{
	const struct rl_charge charge[] = { { IOTUNE_RX_PACKETS, 0 },
					    { IOTUNE_RX_BYTES, 0 } };
	uint64_t wait;

	wait = ratelimit_take(&n->rl, &n->rx_throttle, charge, 2, rl_now());
	if (!wait)
		return true;
	rl_timer_arm(n->rx_timer, wait, n->vdev.dev.id);
	return false;
}

/*
 * Place the @len bytes of frame (its header first) into the chain
 * popped into rx_chain and, with MRG_RXBUF, as many more as it needs,
 * and give them to the guest together. Returns 1 (given), 0 (the
 * guest has too few buffers for it now: every chain is back on the
 * ring and the frame waits in rx_pending), -E2BIG (it cannot ever
 * fit: the chains are back and the frame is dropped) or a guest
 * error from vq_pop() (the device has failed).
 */
static int vnet_rx_place(struct vnet *n, struct virtqueue *vq, size_t len)
{
	struct virtio_net_hdr_v1 *hdr = (void *)n->frame;
	size_t placed = len < n->rx_chain.wr_len ? len : n->rx_chain.wr_len;
	unsigned k = 1;
	int rc;

	if (placed < len && !vnet_has(n, VIRTIO_NET_F_MRG_RXBUF)) {
		vq_unpop(vq);
		return -E2BIG;
	}
	while (placed < len) {
		rc = k < vq->size ? vq_pop(vq, &n->rx_more) : -E2BIG;
		if (rc < 0 && rc != -E2BIG)
			return rc;
		if (rc <= 0) {
			while (k--)
				vq_unpop(vq);
			return rc;
		}
		n->rx_used[k].head = n->rx_more.head;
		n->rx_used[k].len = (uint32_t)vq_chain_write(
			&n->rx_more, 0, n->frame + placed, len - placed);
		placed += n->rx_used[k++].len;
	}
	hdr->num_buffers = (uint16_t)k;
	n->rx_used[0].head = n->rx_chain.head;
	n->rx_used[0].len = (uint32_t)vq_chain_write(&n->rx_chain, 0,
						     n->frame, len);
	vq_push_many(vq, n->rx_used, k);
	return 1;
}

/*
 * Move frames from the tap to the guest while it has buffers. A frame
 * its buffers cannot hold is dropped (counted) and the buffers kept.
 * Reading stops (the fd event is disarmed) when the guest has no
 * buffers left, until it kicks the receive queue; with mergeable
 * buffers also when it has too few for the frame just read, which then
 * waits in rx_pending for that kick.
 */
static void vnet_rx(struct vnet *n)
{
	struct virtqueue *vq = &n->vdev.queues[VNET_RXQ].vq;
	bool pushed = false, arm = true;
	ssize_t len;
	int rc;

	if (!virtio_running(&n->vdev) || !vq->ready) {
		vnet_rx_arm(n, false);
		return;
	}
	for (unsigned budget = VNET_RX_BUDGET; budget; budget--) {
		if (n->rl.active && !vnet_rx_admit(n)) {
			arm = false;
			break;
		}
		rc = vq_pop(vq, &n->rx_chain);
		if (rc < 0)
			virtio_dev_fail(&n->vdev, "receive queue", rc);
		if (rc <= 0) {
			arm = false;
			break;
		}
		len = (ssize_t)n->rx_pending;
		if (!len)
			len = read(n->tap_fd, n->frame, sizeof(n->frame));
		if (len < 0) {
			vq_unpop(vq);
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* Level-triggered: do not spin on a broken tap. */
			log_warn("%s: tap %s: %s; receiving stops.",
				 n->vdev.dev.id, n->ifname, strerror(errno));
			n->rx_errors++;
			arm = false;
			break;
		}
		n->rx_pending = 0;
		if (len < VNET_HDR_LEN ||
		    !vnet_rx_hdr_ok(n, (void *)n->frame)) {
			vq_unpop(vq);
			n->rx_errors++;
			continue;
		}
		rc = vnet_rx_place(n, vq, (size_t)len);
		if (rc == -E2BIG) {
			n->rx_too_big++;
			continue;
		}
		if (rc < 0) {
			virtio_dev_fail(&n->vdev, "receive queue", rc);
			arm = false;
			break;
		}
		if (rc == 0) {
			n->rx_pending = (size_t)len;
			arm = false;
			/* Buffers came meanwhile: the kick may be gone. */
			if (vq_want_more(vq))
				continue;
			break;
		}
		n->rx_packets++;
		n->rx_bytes += (uint64_t)len - VNET_HDR_LEN;
		ratelimit_charge(&n->rl, IOTUNE_RX_PACKETS, 1);
		ratelimit_charge(&n->rl, IOTUNE_RX_BYTES,
				 (uint64_t)len - VNET_HDR_LEN);
		pushed = true;
		arm = true;
	}
	vnet_rx_arm(n, arm);
	if (pushed)
		virtio_queue_interrupt(&n->vdev, VNET_RXQ);
}

static void vnet_rx_event(evutil_socket_t fd, short what, void *arg)
{
	struct vnet *n = arg;

	pthread_mutex_lock(&n->vdev.lock);
	vnet_rx(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

/* One frame from the guest: our checked copy of the header, then data. */
static void vnet_tx_one(struct vnet *n)
{
	const struct vq_chain *c = &n->tx_chain;
	struct virtio_net_hdr_v1 hdr;
	uint64_t len = c->rd_len - VNET_HDR_LEN;
	int nr;

	vq_chain_read(c, 0, &hdr, sizeof(hdr));
	if (len > VNET_MAX_FRAME || !vnet_tx_hdr_ok(n, &hdr, len)) {
		n->tx_dropped++;
		return;
	}
	/* Our copy goes to the tap, checked; the guest cannot change it. */
	hdr.num_buffers = 0;
	n->tx_iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	nr = vq_chain_slice(c, false, VNET_HDR_LEN, len, n->tx_iov + 1,
			    VNET_QUEUE_SIZE);
	if (nr < 0 || writev(n->tap_fd, n->tx_iov, nr + 1) < 0) {
		n->tx_dropped++;
		return;
	}
	n->tx_packets++;
	n->tx_bytes += len;
}

/* The transmit side of vnet_rx_admit(): the frame's size is known. */
static bool vnet_tx_admit(struct vnet *n)
{
	struct rl_charge charge[] = { { IOTUNE_TX_PACKETS, 1 },
				      { IOTUNE_TX_BYTES, 0 } };
	uint64_t wait;

	if (n->tx_chain.rd_len < VNET_HDR_LEN)
		return true; /* dropped below, nothing to charge */
	charge[1].cost = n->tx_chain.rd_len - VNET_HDR_LEN;
	wait = ratelimit_take(&n->rl, &n->tx_throttle, charge, 2, rl_now());
	if (!wait)
		return true;
	rl_timer_arm(n->tx_timer, wait, n->vdev.dev.id);
	return false;
}

static void vnet_tx(struct vnet *n)
{
	struct virtqueue *vq = &n->vdev.queues[VNET_TXQ].vq;
	int rc;

	while ((rc = vq_pop(vq, &n->tx_chain)) > 0) {
		if (n->rl.active && !vnet_tx_admit(n)) {
			vq_unpop(vq); /* sent when the timer fires */
			rc = 0;
			break;
		}
		if (n->tx_chain.rd_len < VNET_HDR_LEN)
			n->tx_dropped++;
		else
			vnet_tx_one(n);
		vq_push(vq, n->tx_chain.head, 0);
	}
	if (rc < 0)
		virtio_dev_fail(&n->vdev, "transmit queue", rc);
	virtio_queue_interrupt(&n->vdev, VNET_TXQ);
}

/*
 * The control queue (5.1.6.5): each chain is a class and command byte
 * the device reads, then its ack byte to write. Only the announce ACK
 * is served; anything else, a chain too short included, hears ERR.
 */
static void vnet_ctrl(struct vnet *n)
{
	struct virtqueue *vq = &n->vdev.queues[VNET_CTRLQ].vq;
	const struct vq_chain *c = &n->ctrl_chain;
	uint8_t hdr[2], ack;
	int rc;

	while ((rc = vq_pop(vq, &n->ctrl_chain)) > 0) {
		ack = VIRTIO_NET_ERR;
		if (vq_chain_read(c, 0, hdr, 2) == 2 &&
		    hdr[0] == VIRTIO_NET_CTRL_ANNOUNCE &&
		    hdr[1] == VIRTIO_NET_CTRL_ANNOUNCE_ACK) {
			n->announce = false;
			ack = VIRTIO_NET_OK;
		}
		vq_push(vq, c->head, (uint32_t)vq_chain_write(c, 0, &ack, 1));
	}
	if (rc < 0)
		virtio_dev_fail(&n->vdev, "control queue", rc);
	virtio_queue_interrupt(&n->vdev, VNET_CTRLQ);
}

static void vnet_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vnet *n = to_vnet(vdev);

	if (q == VNET_CTRLQ)
		vnet_ctrl(n);
	else if (q == VNET_TXQ)
		vnet_tx(n);
	else if (n->rx_pending)
		vnet_rx(n); /* the frame that waited for buffers first */
	else
		vnet_rx_arm(n, true); /* new buffers: the fd tells when */
}

static void vnet_driver_ok(struct virtio_dev *vdev)
{
	vnet_offloads(to_vnet(vdev), true);
	vnet_rx_arm(to_vnet(vdev), true);
}

/* A direction's buckets have refilled: go on where it stopped. */
static void vnet_rx_timer(evutil_socket_t fd, short what, void *arg)
{
	struct vnet *n = arg;

	pthread_mutex_lock(&n->vdev.lock);
	if (virtio_running(&n->vdev))
		vnet_rx(n); /* re-arms the tap's event if it may go on */
	pthread_mutex_unlock(&n->vdev.lock);
}

static void vnet_tx_timer(evutil_socket_t fd, short what, void *arg)
{
	struct vnet *n = arg;

	pthread_mutex_lock(&n->vdev.lock);
	if (virtio_running(&n->vdev) && n->vdev.queues[VNET_TXQ].vq.ready)
		vnet_tx(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

static void vnet_iotune(struct virtio_dev *vdev, const struct iotune *set,
			struct iotune *cur)
{
	struct vnet *n = to_vnet(vdev);

	if (set) {
		ratelimit_set(&n->rl, set, rl_now());
		/* Held back under the old limits: look again. */
		if (n->rx_throttle.on)
			rl_timer_arm(n->rx_timer, 0, vdev->dev.id);
		if (n->tx_throttle.on)
			rl_timer_arm(n->tx_timer, 0, vdev->dev.id);
		if (!n->rl.active) {
			rl_throttle_end(&n->rx_throttle, rl_now());
			rl_throttle_end(&n->tx_throttle, rl_now());
		}
	}
	ratelimit_get(&n->rl, cur);
}

static void vnet_reset(struct virtio_dev *vdev)
{
	struct vnet *n = to_vnet(vdev);

	vnet_rx_arm(n, false);
	vnet_offloads(n, false);
	n->announce = false;
	n->rx_pending = 0;
	rl_throttle_end(&n->rx_throttle, rl_now());
	rl_throttle_end(&n->tx_throttle, rl_now());
}

static int vnet_save(struct virtio_dev *vdev, struct json_object *obj)
{
	struct vnet *n = to_vnet(vdev);
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
		 n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	if (json_object_object_add(obj, "mac", json_object_new_string(mac)))
		return -ENOMEM;
	/* Absent in older streams: no announce was pending then. */
	return json_object_object_add(obj, "announce",
				      json_object_new_boolean(n->announce)) ?
		       -ENOMEM :
		       0;
}

static int vnet_restore(struct virtio_dev *vdev, struct json_object *obj)
{
	struct vnet *n = to_vnet(vdev);
	struct json_object *v;
	unsigned b[6];
	char tail;

	if (!obj || !json_object_object_get_ex(obj, "mac", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    sscanf(json_object_get_string(v), "%2x:%2x:%2x:%2x:%2x:%2x%c",
		   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		n->mac[i] = (uint8_t)b[i];
	n->announce = false;
	n->rx_pending = 0;
	if (json_object_object_get_ex(obj, "announce", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return -EINVAL;
		n->announce = json_object_get_boolean(v);
	}
	return 0;
}

static void vnet_stats(struct virtio_dev *vdev, struct json_object *out)
{
	struct vnet *n = to_vnet(vdev);
	uint64_t now = rl_now();
	const struct {
		const char *name;
		uint64_t v;
	} c[] = {
		{ "rx_packets", n->rx_packets }, { "rx_bytes", n->rx_bytes },
		{ "rx_too_big", n->rx_too_big }, { "rx_errors", n->rx_errors },
		{ "tx_packets", n->tx_packets }, { "tx_bytes", n->tx_bytes },
		{ "tx_dropped", n->tx_dropped },
		{ "rx_throttled", n->rx_throttle.count },
		{ "rx_throttled_ms",
		  rl_throttle_ns(&n->rx_throttle, now) / 1000000 },
		{ "tx_throttled", n->tx_throttle.count },
		{ "tx_throttled_ms",
		  rl_throttle_ns(&n->tx_throttle, now) / 1000000 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		json_object_object_add(out, c[i].name,
				       json_object_new_uint64(c[i].v));
	json_object_object_add(out, "tap", json_object_new_string(n->ifname));
}

static void vnet_free(struct virtio_dev *vdev)
{
	struct vnet *n = to_vnet(vdev);

	if (n->rx_ev)
		event_free(n->rx_ev);
	n->rx_ev = NULL;
	if (n->rx_timer)
		event_free(n->rx_timer);
	if (n->tx_timer)
		event_free(n->tx_timer);
	n->rx_timer = n->tx_timer = NULL;
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	n->tap_fd = -1;
	vq_chain_dispose(&n->rx_chain);
	vq_chain_dispose(&n->rx_more);
	vq_chain_dispose(&n->tx_chain);
	vq_chain_dispose(&n->ctrl_chain);
}

static const struct virtio_ops vnet_virtio_ops = {
	.type = "virtio-net",
	.id_prefix = "vnet",
	.size = sizeof(struct vnet),
	.device_id = VIRTIO_ID_NET,
	.pci_class = 0x020000, /* Ethernet */
	.nr_queues = 3,
	.queue_size = VNET_QUEUE_SIZE,
	.config_size = VNET_CONFIG_SIZE,
	.config_read = vnet_config_read,
	.notify = vnet_notify,
	.driver_ok = vnet_driver_ok,
	.reset = vnet_reset,
	.save = vnet_save,
	.restore = vnet_restore,
	.stats = vnet_stats,
	.iotune_kind = IOTUNE_NIC,
	.iotune = vnet_iotune,
	.free = vnet_free,
};

/* Open or adopt the tap and make it speak virtio_net_hdr_v1. */
static int vnet_open_tap(struct vnet *n, const char *name, int fd)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = VNET_HDR_LEN;

	if (fd < 0) {
		if (!name || strlen(name) >= IFNAMSIZ) {
			hv_error("Invalid tap interface name: give 1 to %d characters.",
				 IFNAMSIZ - 1);
			return -EINVAL;
		}
		strcpy(ifr.ifr_name, name);
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int rc = -errno;

			hv_error("Cannot open tap %s: %s. Create it first (ip tuntap add dev %s mode tap) or give keel-hv CAP_NET_ADMIN.",
				 name, strerror(-rc), name);
			if (fd >= 0)
				close(fd);
			return rc;
		}
	} else if (ioctl(fd, TUNGETIFF, &ifr) < 0 ||
		   (ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) !=
			   (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) {
		hv_error("Descriptor %d is not a tap opened with IFF_TAP, IFF_NO_PI and IFF_VNET_HDR; pass one opened so.",
			 fd);
		close(fd);
		return -EINVAL;
	}
	n->tap_fd = fd;
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifr.ifr_name);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		hv_error("Cannot set up tap %s: %s.", n->ifname,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * A virtio network device (virtio 1.2, 5.1) on a tap interface: the tap
 * called @tap_name is opened (or created) on /dev/net/tun, or, if
 * @tap_fd >= 0, that already opened tap (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR; the device takes ownership of the fd) is used and
 * @tap_name only names it in logs (may be NULL). The guest sees @mac,
 * or, if NULL, a random 52:54:00:xx:xx:xx address, and a link that is
 * always up, and checksum and TCP segmentation offloads both ways. On
 * @vm's device list as "vnet0", "vnet1", ...
 * Returns 0 and *@out (owned by the VM; @out may be NULL) or -errno
 * after logging why.
 */
static int virtio_net_new(struct vm *vm, const char *tap_name, int tap_fd,
			  const uint8_t mac[6], struct device **out)
{
	uint64_t features = VIRTIO_FEAT(VIRTIO_NET_F_MAC) |
			    VIRTIO_FEAT(VIRTIO_NET_F_STATUS) |
			    VIRTIO_FEAT(VIRTIO_NET_F_CTRL_VQ) |
			    VIRTIO_FEAT(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			    VIRTIO_FEAT(VIRTIO_NET_F_MRG_RXBUF) |
			    VNET_OFFLOADS;
	struct virtio_dev *vdev;
	struct vnet *n;
	int rc;

	rc = virtio_dev_new(vm, &vnet_virtio_ops, features, &vdev);
	if (rc) {
		if (tap_fd >= 0)
			close(tap_fd);
		return rc;
	}
	n = to_vnet(vdev);
	n->tap_fd = -1;
	if (mac) {
		memcpy(n->mac, mac, 6);
	} else {
		n->mac[0] = 0x52;
		n->mac[1] = 0x54;
		if (getrandom(n->mac + 3, 3, 0) != 3)
			log_warn("getrandom: %s", strerror(errno));
	}
	rc = vnet_open_tap(n, tap_name, tap_fd);
	if (!rc) {
		n->rx_ev = event_new(vm->evbase, n->tap_fd, EV_READ | EV_PERSIST,
				     vnet_rx_event, n);
		n->rx_timer = evtimer_new(vm->evbase, vnet_rx_timer, n);
		n->tx_timer = evtimer_new(vm->evbase, vnet_tx_timer, n);
		if (!n->rx_ev || !n->rx_timer || !n->tx_timer)
			rc = -ENOMEM;
	}
	if (rc) {
		virtio_dev_free(vdev);
		return rc;
	}
	return virtio_dev_register(vdev, out);
}

void virtio_net_announce(struct device *dev)
{
	struct virtio_dev *vdev = virtio_dev_of(dev, &vnet_virtio_ops);
	struct vnet *n;

	if (!vdev)
		return;
	n = to_vnet(vdev);
	pthread_mutex_lock(&vdev->lock);
	if (virtio_running(vdev) &&
	    (vdev->guest_features &
	     VIRTIO_FEAT(VIRTIO_NET_F_GUEST_ANNOUNCE))) {
		n->announce = true;
		virtio_config_changed(vdev);
		log_info("%s: asked the guest to announce itself.", dev->id);
	}
	pthread_mutex_unlock(&vdev->lock);
}

int virtio_net_add(struct vm *vm, const struct vm_config *cfg)
{
	int rc = 0;

	for (unsigned i = 0; i < cfg->nr_nics && !rc; i++) {
		const struct vm_nic *nic = &cfg->nics[i];

		struct device *dev;
		struct iotune cur;
		enum iotune_kind kind;

		rc = virtio_net_new(vm, nic->tap, nic->tap_fd,
				    nic->has_mac ? nic->mac : NULL, &dev);
		if (!rc && iotune_any(&nic->iotune))
			rc = dev->ops->iotune(dev, &nic->iotune, &cur, &kind);
	}
	return rc;
}
