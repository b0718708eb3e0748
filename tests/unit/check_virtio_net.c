// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net's transmit side under I/O limits, without KVM: the test
 * plays the guest's driver on the transmit queue in a fake guest RAM,
 * over a real tap in a network namespace of the test's own (so nothing
 * outlives it). One packet a second with a burst of one: the second
 * frame waits on the ring, neither dropped nor lost, until the limit
 * is lifted live; with no limit nothing waits. Counters only, never
 * how long anything took. And the guest announce after a migration:
 * the config status bit, the control queue's ACK that clears it, ERR
 * for any other command, and a saved state without "announce" (an
 * older stream) restored. And the offloads: which transmit headers go
 * to the tap and which are dropped, by what the driver negotiated, and
 * the tap's own offloads following the driver's receive side. And the
 * receive side's mergeable buffers, with frames sent into the tap's
 * interface from the namespace.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device.h"
#include "fake_vm.h"
#include "pci.h"
#include "runner.h"
#include "virtio.h"
#include "virtio_net.h"
#include "vm.h"
#include "vmm.h"

#define RAM_SIZE (1U << 20)
#define QSIZE 8
#define RXQ 0
#define TXQ 1
#define CTRLQ 2
#define FRAME_GPA 0x4000U
#define CMD_GPA 0x8000U
#define HDR_LEN 12
#define FRAME_LEN 60

/* Where the test's driver keeps a queue's rings in the fake RAM. */
struct ring {
	unsigned q;
	uint32_t desc, avail, used;
};

static const struct ring tx_ring = { TXQ, 0x1000, 0x2000, 0x3000 };
static const struct ring ctrl_ring = { CTRLQ, 0x5000, 0x6000, 0x7000 };
static const struct ring rx_ring = { RXQ, 0x10000, 0x11000, 0x12000 };

struct driver {
	struct vm *vm;
	struct event_base *base;
	uint8_t *ram;
	struct virtio_dev *vdev;
};

/* A tap that is down refuses frames: bring @name up, as ip link does. */
static void link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* New interfaces in this network namespace get no IPv6 (if it has any). */
static void no_ipv6(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

/* @r's queue at its addresses, its rings empty (not enabled). */
static struct virtqueue *ring_setup(struct driver *d, const struct ring *r)
{
	struct virtqueue *vq = &d->vdev->queues[r->q].vq;

	vq->size = QSIZE;
	vq->desc_gpa = r->desc;
	vq->avail_gpa = r->avail;
	vq->used_gpa = r->used;
	memset(d->ram + r->avail, 0, 0x1000);
	memset(d->ram + r->used, 0, 0x1000);
	return vq;
}

/* Descriptor @i of @r: @len bytes at @addr, with @flags (NEXT: @i + 1). */
static void ring_desc(struct driver *d, const struct ring *r, uint16_t i,
		      uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *p = d->ram + r->desc + 16 * (size_t)i;
	uint16_t next = (uint16_t)(i + 1);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* The driver's available index of @r. */
static uint16_t ring_avail_idx(struct driver *d, const struct ring *r)
{
	uint16_t idx;

	memcpy(&idx, d->ram + r->avail + 2, 2);
	return idx;
}

/* The chain at descriptor @head of @r made available (no kick). */
static void ring_avail(struct driver *d, const struct ring *r, uint16_t head)
{
	uint16_t idx = ring_avail_idx(d, r);

	memcpy(d->ram + r->avail + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(d->ram + r->avail + 2, &idx, 2);
}

/* How many chains the device has given back on @r. */
static uint16_t ring_used_idx(struct driver *d, const struct ring *r)
{
	uint16_t idx;

	memcpy(&idx, d->ram + r->used + 2, 2);
	return idx;
}

static void txq_setup(struct driver *d)
{
	ring_setup(d, &tx_ring);
}

/* A vnet0 on tap "ktest0" with @iotune, its transmit queue running. */
static void driver_init(struct driver *d, const struct iotune *iotune)
{
	struct vm_nic nic = { .tap = "ktest0", .tap_fd = -1 };
	struct vm_config cfg = { .nics = &nic, .nr_nics = 1 };

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s",
		      strerror(errno));
	/* No IPv6 on the tap: nothing but the tests' frames comes out. */
	no_ipv6();
	nic.iotune = *iotune;
	d->base = event_base_new();
	d->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(d->base);
	ck_assert_ptr_nonnull(d->ram);
	d->vm = fake_vm_new();
	d->vm->evbase = d->base;
	d->vm->ram_size = RAM_SIZE;
	d->vm->ram[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE,
					     .hva = d->ram };
	d->vm->nr_ram = 1;
	ck_assert_int_eq(pci_host_new(d->vm), 0);
	ck_assert_int_eq(virtio_net_add(d->vm, &cfg), 0);
	link_up("ktest0");
	d->vdev = (struct virtio_dev *)vm_find_device(d->vm, "vnet0");
	ck_assert_ptr_nonnull(d->vdev);
	txq_setup(d);
	ck_assert_int_eq(vq_enable(&d->vdev->queues[TXQ].vq, false, false),
			 0);
	d->vdev->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
}

static void driver_dispose(struct driver *d)
{
	fake_vm_free(d->vm);
	event_base_free(d->base);
	free(d->ram);
}

static uint16_t used_idx(struct driver *d)
{
	return ring_used_idx(d, &tx_ring);
}

/* The @len bytes at FRAME_GPA as one descriptor, made available, kicked. */
static void post_tx(struct driver *d, uint32_t len)
{
	ring_desc(d, &tx_ring, 0, FRAME_GPA, len, 0);
	ring_avail(d, &tx_ring, 0);
	virtio_queue_notify(d->vdev, TXQ);
}

/* One frame (header and 60 bytes of broadcast) made available, kicked. */
static void send_frame(struct driver *d)
{
	memset(d->ram + FRAME_GPA, 0, HDR_LEN);
	memset(d->ram + FRAME_GPA + HDR_LEN, 0xff, 6); /* dst: broadcast */
	post_tx(d, HDR_LEN + FRAME_LEN);
}

static uint64_t stat_of(struct driver *d, const char *key)
{
	struct json_object *o = json_object_new_object(), *v;
	uint64_t n;

	d->vdev->dev.ops->stats(&d->vdev->dev, o);
	ck_assert(json_object_object_get_ex(o, key, &v));
	n = json_object_get_uint64(v);
	json_object_put(o);
	return n;
}

START_TEST(test_tx_packets_limit)
{
	struct iotune t = { 0 }, cur;
	enum iotune_kind kind;
	struct driver d;

	t.rate[IOTUNE_TX_PACKETS] = 1;
	t.burst[IOTUNE_TX_PACKETS] = 1;
	driver_init(&d, &t);
	send_frame(&d);
	ck_assert_uint_eq(used_idx(&d), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 1);
	send_frame(&d);
	ck_assert_uint_eq(used_idx(&d), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_dropped"), 0);
	ck_assert_uint_eq(stat_of(&d, "tx_throttled"), 1);

	/* Lifted live: the waiting frame goes with the next loop pass. */
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(d.vdev->dev.ops->iotune(&d.vdev->dev, &t, &cur,
						 &kind),
			 0);
	ck_assert_int_eq(kind, IOTUNE_NIC);
	ck_assert_int_eq(event_base_loop(d.base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(used_idx(&d), 2);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 2);
	for (int i = 0; i < 5; i++)
		send_frame(&d);
	ck_assert_uint_eq(used_idx(&d), 7);
	ck_assert_uint_eq(stat_of(&d, "tx_throttled"), 1);
	driver_dispose(&d);
}
END_TEST

/* A byte limit: a frame larger than the burst goes, the next waits. */
START_TEST(test_tx_bytes_debt)
{
	struct iotune t = { 0 };
	struct driver d;

	t.rate[IOTUNE_TX_BYTES] = 1;
	t.burst[IOTUNE_TX_BYTES] = 10;
	driver_init(&d, &t);
	send_frame(&d);
	send_frame(&d);
	ck_assert_uint_eq(used_idx(&d), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_bytes"), FRAME_LEN);
	ck_assert_uint_eq(stat_of(&d, "tx_throttled"), 1);
	driver_dispose(&d);
}
END_TEST

static void ctrl_enable(struct driver *d)
{
	ck_assert_int_eq(vq_enable(ring_setup(d, &ctrl_ring), false, false),
			 0);
	d->vdev->guest_features |= 1ULL << VIRTIO_NET_F_CTRL_VQ |
				   1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE;
}

/* One control command (class, cmd), kicked; returns the device's ack. */
static uint8_t ctrl_command(struct driver *d, uint8_t class, uint8_t cmd)
{
	d->ram[CMD_GPA] = class;
	d->ram[CMD_GPA + 1] = cmd;
	d->ram[CMD_GPA + 16] = 0xee;
	ring_desc(d, &ctrl_ring, 0, CMD_GPA, 2, VRING_DESC_F_NEXT);
	ring_desc(d, &ctrl_ring, 1, CMD_GPA + 16, 1, VRING_DESC_F_WRITE);
	ring_avail(d, &ctrl_ring, 0);
	virtio_queue_notify(d->vdev, CTRLQ);
	return d->ram[CMD_GPA + 16];
}

static uint16_t net_status(struct driver *d)
{
	uint16_t st;

	d->vdev->ops->config_read(d->vdev, 6, &st, 2);
	return st;
}

START_TEST(test_announce_ack)
{
	struct iotune t = { 0 };
	struct driver d;

	driver_init(&d, &t);
	ck_assert(d.vdev->host_features & 1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE);
	ck_assert(d.vdev->host_features & 1ULL << VIRTIO_NET_F_CTRL_VQ);
	/* A driver without the feature is not asked. */
	virtio_net_announce(&d.vdev->dev);
	ck_assert_uint_eq(net_status(&d), VIRTIO_NET_S_LINK_UP);
	ctrl_enable(&d);
	virtio_net_announce(&d.vdev->dev);
	ck_assert_uint_eq(net_status(&d),
			  VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
	ck_assert_uint_eq(ctrl_command(&d, VIRTIO_NET_CTRL_RX, 0),
			  VIRTIO_NET_ERR);
	ck_assert_uint_eq(net_status(&d),
			  VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
	ck_assert_uint_eq(ctrl_command(&d, VIRTIO_NET_CTRL_ANNOUNCE,
				       VIRTIO_NET_CTRL_ANNOUNCE_ACK),
			  VIRTIO_NET_OK);
	ck_assert_uint_eq(net_status(&d), VIRTIO_NET_S_LINK_UP);
	driver_dispose(&d);
}
END_TEST

/* The saved state carries a pending announce; older ones lack it. */
START_TEST(test_announce_saved)
{
	struct iotune t = { 0 };
	struct driver d;
	struct json_object *o;

	driver_init(&d, &t);
	ctrl_enable(&d);
	virtio_net_announce(&d.vdev->dev);
	o = json_object_new_object();
	ck_assert_int_eq(d.vdev->ops->save(d.vdev, o), 0);
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string_ext(
					     o, JSON_C_TO_STRING_PLAIN),
				     "\"announce\":true"));
	json_object_put(o);
	o = json_tokener_parse("{\"mac\": \"52:54:00:12:34:56\"}");
	ck_assert_int_eq(d.vdev->ops->restore(d.vdev, o), 0);
	ck_assert_uint_eq(net_status(&d), VIRTIO_NET_S_LINK_UP);
	json_object_put(o);
	o = json_tokener_parse(
		"{\"mac\": \"52:54:00:12:34:56\", \"announce\": 1}");
	ck_assert_int_eq(d.vdev->ops->restore(d.vdev, o), -EINVAL);
	json_object_put(o);
	driver_dispose(&d);
}
END_TEST

/*
 * A stream saved before virtio-net had its control queue holds two
 * queues and three MSI-X vectors: it restores, the control queue
 * reset. More queues or vectors than the device has are refused.
 */
START_TEST(test_restore_before_ctrl_queue)
{
	struct iotune t = { 0 };
	struct driver d;
	struct device *dev;
	struct json_object *o, *q, *m;

	driver_init(&d, &t);
	d.vdev->guest_features = 1ULL << 32; /* VERSION_1, as FEATURES_OK says */
	dev = &d.vdev->dev;
	ck_assert_int_eq(dev->ops->save(dev, &o), 0);
	ck_assert(json_object_object_get_ex(o, "queues", &q));
	ck_assert(json_object_object_get_ex(o, "msix", &m));
	ck_assert_uint_eq(json_object_array_length(q), 3);
	ck_assert_uint_eq(json_object_array_length(m), 4);
	json_object_array_del_idx(q, 2, 1);
	json_object_array_del_idx(m, 3, 1);
	ck_assert_int_eq(dev->ops->restore(dev, o), 0);
	ck_assert(!d.vdev->queues[CTRLQ].vq.ready);
	ck_assert(d.vdev->queues[TXQ].vq.ready);
	json_object_array_add(q, json_object_get(json_object_array_get_idx(q, 0)));
	json_object_array_add(q, json_object_get(json_object_array_get_idx(q, 0)));
	ck_assert_int_eq(dev->ops->restore(dev, o), -EINVAL);
	json_object_put(o);
	driver_dispose(&d);
}
END_TEST

/*
 * One IPv4 TCP frame of @payload bytes behind @hdr, made available and
 * kicked: Ethernet, IP and TCP headers as a guest's stack writes them
 * for a checksum or segmentation offload (csum_start at the TCP header,
 * its checksum field 16 bytes in).
 */
static void send_tcp(struct driver *d, const struct virtio_net_hdr_v1 *hdr,
		     unsigned payload)
{
	static const uint8_t eth_ip[34] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0,
		10, 0, 0, 2, 10, 0, 0, 1,
	};
	uint8_t *f = d->ram + FRAME_GPA;
	uint16_t iplen = htons((uint16_t)(20 + 20 + payload));

	memcpy(f, hdr, HDR_LEN);
	memcpy(f + HDR_LEN, eth_ip, sizeof(eth_ip));
	memcpy(f + HDR_LEN + 16, &iplen, 2);
	memset(f + HDR_LEN + 34, 0, 20);
	f[HDR_LEN + 34 + 1] = 80;	/* source port 80 */
	f[HDR_LEN + 34 + 3] = 81;	/* destination port 81 */
	f[HDR_LEN + 34 + 12] = 5 << 4;	/* data offset: 20 bytes */
	f[HDR_LEN + 34 + 13] = 0x18;	/* PSH, ACK */
	memset(f + HDR_LEN + 54, 0x61, payload);
	post_tx(d, HDR_LEN + 54 + payload);
}

/* The driver negotiates @features again, as at a boot, and is running. */
static void renegotiate(struct driver *d, uint64_t features)
{
	virtio_set_status(d->vdev, 0);
	txq_setup(d);
	d->vdev->guest_features = features | 1ULL << VIRTIO_F_VERSION_1;
	virtio_set_status(d->vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					   VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK);
	virtio_set_status(d->vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					   VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK |
					   VIRTIO_STATUS_DRIVER_OK);
	ck_assert(d->vdev->status & VIRTIO_STATUS_DRIVER_OK);
	ck_assert_int_eq(vq_enable(&d->vdev->queues[TXQ].vq, false, false),
			 0);
}

START_TEST(test_tx_offloads)
{
	struct virtio_net_hdr_v1 csum = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = 34, .csum_offset = 16,
	};
	struct virtio_net_hdr_v1 tso = csum, h;
	struct iotune none = { 0 };
	struct driver d;

	tso.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	tso.gso_size = 1000;
	tso.hdr_len = 54;
	driver_init(&d, &none);

	/* Nothing negotiated: a header asking for anything is dropped. */
	renegotiate(&d, 0);
	send_tcp(&d, &(struct virtio_net_hdr_v1){ 0 }, 100);
	send_tcp(&d, &csum, 100);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_dropped"), 1);

	/* CSUM and HOST_TSO4: both go to the tap, which takes them. */
	renegotiate(&d, 1ULL << VIRTIO_NET_F_CSUM |
				1ULL << VIRTIO_NET_F_HOST_TSO4);
	send_tcp(&d, &csum, 100);
	send_tcp(&d, &tso, 3000);
	ck_assert_uint_eq(used_idx(&d), 2);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 3);
	ck_assert_uint_eq(stat_of(&d, "tx_dropped"), 1);
	ck_assert_uint_eq(stat_of(&d, "tx_bytes"), 154 + 154 + 3054);

	/* What was not taken, or points outside the frame: dropped. */
	h = tso;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;	/* no HOST_TSO6 */
	send_tcp(&d, &h, 3000);
	h = tso;
	h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;	/* no HOST_ECN */
	send_tcp(&d, &h, 3000);
	h = tso;
	h.flags = 0;				/* segments need the checksum */
	send_tcp(&d, &h, 3000);
	h = tso;
	h.gso_size = 0;
	send_tcp(&d, &h, 3000);
	h = csum;
	h.csum_start = 150;			/* past the frame's 154 bytes */
	send_tcp(&d, &h, 100);
	h = csum;
	h.flags |= VIRTIO_NET_HDR_F_DATA_VALID;	/* a receive-side flag */
	send_tcp(&d, &h, 100);
	ck_assert_uint_eq(used_idx(&d), 8);
	ck_assert_uint_eq(stat_of(&d, "tx_packets"), 3);
	ck_assert_uint_eq(stat_of(&d, "tx_dropped"), 7);
	driver_dispose(&d);
}
END_TEST

/* Whether the tap's @cmd offload (ETHTOOL_GTSO, ETHTOOL_GTXCSUM) is on. */
static bool tap_offload(const char *name, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ev;
	ck_assert_int_eq(ioctl(fd, SIOCETHTOOL, &ifr), 0);
	close(fd);
	return ev.data;
}

/*
 * The tap may leave checksums and segmentation to the guest only once
 * its driver took GUEST_CSUM and GUEST_TSO4/6, and no longer after a
 * reset (a rebooting guest's driver may take less).
 */
START_TEST(test_rx_offloads_follow_driver)
{
	struct iotune none = { 0 };
	struct driver d;

	driver_init(&d, &none);
	ck_assert(!tap_offload("ktest0", ETHTOOL_GTSO));
	renegotiate(&d, 1ULL << VIRTIO_NET_F_GUEST_CSUM |
				1ULL << VIRTIO_NET_F_GUEST_TSO4 |
				1ULL << VIRTIO_NET_F_GUEST_TSO6);
	ck_assert(tap_offload("ktest0", ETHTOOL_GTXCSUM));
	ck_assert(tap_offload("ktest0", ETHTOOL_GTSO));
	renegotiate(&d, 1ULL << VIRTIO_NET_F_GUEST_CSUM);
	ck_assert(tap_offload("ktest0", ETHTOOL_GTXCSUM));
	ck_assert(!tap_offload("ktest0", ETHTOOL_GTSO));
	virtio_set_status(d.vdev, 0);
	ck_assert(!tap_offload("ktest0", ETHTOOL_GTXCSUM));
	driver_dispose(&d);
}
END_TEST

/* --- receiving into mergeable buffers -------------------------------- */

#define RX_BUF_GPA 0x20000U
#define RX_BUF_LEN 512U
#define RX_FRAME 1200U /* three buffers: 512, 512 and 188 with the header */

/* The receive queue at its addresses, enabled with EVENT_IDX. */
static void rxq_setup(struct driver *d)
{
	ck_assert_int_eq(vq_enable(ring_setup(d, &rx_ring), true, false), 0);
}

/* Descriptor @i, a writable RX_BUF_LEN buffer, made available; no kick. */
static void post_rx(struct driver *d, uint16_t i)
{
	ring_desc(d, &rx_ring, i, RX_BUF_GPA + (uint64_t)i * RX_BUF_LEN,
		  RX_BUF_LEN, VRING_DESC_F_WRITE);
	ring_avail(d, &rx_ring, i);
}

static uint16_t rx_used_idx(struct driver *d)
{
	return ring_used_idx(d, &rx_ring);
}

/* Used element @n of the receive queue: its head and its length. */
static void rx_used(struct driver *d, uint16_t n, uint32_t *head,
		    uint32_t *len)
{
	const uint8_t *e = d->ram + rx_ring.used + 4 + 8 * (size_t)(n % QSIZE);

	memcpy(head, e, 4);
	memcpy(len, e + 4, 4);
}

/*
 * A frame of RX_FRAME bytes sent out of the tap's interface, which the
 * tap hands to keel-hv: broadcast, an experimental ether type, and the
 * bytes of @fill after them.
 */
static void inject(uint8_t fill)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = (int)if_nametoindex("ktest0"),
				  .sll_halen = 6 };
	uint8_t f[RX_FRAME];
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(to.sll_ifindex, 0);
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\0\0\0\0\x09\x88\xb5", 8);
	memset(f + 14, fill, sizeof(f) - 14);
	memset(to.sll_addr, 0xff, 6);
	ck_assert_int_eq(sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)sizeof(f));
	close(fd);
}

/*
 * Run the loop until the receive queue has given back @want buffers,
 * at most @tries times 10 ms.
 */
static bool rx_until(struct driver *d, uint16_t want, int tries)
{
	for (int i = 0; i < tries && rx_used_idx(d) != want; i++) {
		event_base_loop(d->base, EVLOOP_NONBLOCK);
		usleep(10 * 1000);
	}
	return rx_used_idx(d) == want;
}

/* The frame in buffers @first.. as the guest reads it: header, then data. */
static void rx_check(struct driver *d, uint16_t first, uint8_t fill)
{
	const uint8_t *b = d->ram + RX_BUF_GPA + (size_t)first * RX_BUF_LEN;
	uint16_t num_buffers;

	memcpy(&num_buffers, b + 10, 2);
	ck_assert_uint_eq(num_buffers, 3);
	ck_assert_int_eq(memcmp(b + HDR_LEN + 6, "\x02\0\0\0\0\x09", 6), 0);
	/* The descriptors are consecutive in RAM, so the frame is too. */
	for (size_t i = HDR_LEN + 14; i < HDR_LEN + RX_FRAME; i++)
		ck_assert_msg(b[i] == fill, "byte %zu is %#x", i, b[i]);
}

/*
 * MRG_RXBUF: a frame larger than one buffer spread over three, their
 * count in the first one's header, given back in one go; a frame for
 * which the guest has too few buffers waits in keel-hv, with a kick
 * asked for at the available index, and goes once more come. Without
 * MRG_RXBUF the same frame is too big for a buffer and is dropped.
 */
START_TEST(test_rx_mergeable)
{
	struct iotune none = { 0 };
	struct driver d;
	uint32_t head, len, expect[] = { 512, 512, 12 + RX_FRAME - 1024 };
	uint16_t avail_event;

	driver_init(&d, &none);
	renegotiate(&d, 1ULL << VIRTIO_NET_F_MRG_RXBUF |
				1ULL << VIRTIO_RING_F_EVENT_IDX);
	rxq_setup(&d);
	for (uint16_t i = 0; i < 3; i++)
		post_rx(&d, i);
	virtio_queue_notify(d.vdev, RXQ);
	inject(0x5a);
	ck_assert_msg(rx_until(&d, 3, 500), "received into %u buffers",
		      rx_used_idx(&d));
	for (uint16_t i = 0; i < 3; i++) {
		rx_used(&d, i, &head, &len);
		ck_assert_uint_eq(head, i);
		ck_assert_uint_eq(len, expect[i]);
	}
	rx_check(&d, 0, 0x5a);
	ck_assert_uint_eq(stat_of(&d, "rx_packets"), 1);
	ck_assert_uint_eq(stat_of(&d, "rx_bytes"), RX_FRAME);

	/* One buffer for a frame that needs three: it waits. */
	post_rx(&d, 3);
	virtio_queue_notify(d.vdev, RXQ);
	inject(0xa5);
	ck_assert(!rx_until(&d, 4, 30));
	ck_assert_uint_eq(rx_used_idx(&d), 3);
	ck_assert_uint_eq(stat_of(&d, "rx_packets"), 1);
	/* Its buffer is back on the ring; the next one added is kicked. */
	memcpy(&avail_event, d.ram + rx_ring.used + 4 + 8 * QSIZE, 2);
	ck_assert_uint_eq(avail_event, ring_avail_idx(&d, &rx_ring));
	post_rx(&d, 4);
	post_rx(&d, 5);
	virtio_queue_notify(d.vdev, RXQ);
	ck_assert_msg(rx_until(&d, 6, 500), "received into %u buffers",
		      rx_used_idx(&d));
	rx_used(&d, 3, &head, &len);
	ck_assert_uint_eq(head, 3);
	rx_check(&d, 3, 0xa5);
	ck_assert_uint_eq(stat_of(&d, "rx_packets"), 2);
	ck_assert_uint_eq(stat_of(&d, "rx_too_big"), 0);

	/* Without MRG_RXBUF, one buffer of 512 cannot hold it. */
	renegotiate(&d, 0);
	rxq_setup(&d);
	post_rx(&d, 0);
	virtio_queue_notify(d.vdev, RXQ);
	inject(0x33);
	for (int i = 0; i < 200 && !stat_of(&d, "rx_too_big"); i++) {
		event_base_loop(d.base, EVLOOP_NONBLOCK);
		usleep(10 * 1000);
	}
	ck_assert_uint_eq(stat_of(&d, "rx_too_big"), 1);
	ck_assert_uint_eq(rx_used_idx(&d), 0);
	driver_dispose(&d);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtio_net");
	TCase *tc = tcase_create("limits");

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK))
		runner_skip_reason = "a tap needs root and /dev/net/tun";
	tcase_add_test(tc, test_tx_packets_limit);
	tcase_add_test(tc, test_tx_bytes_debt);
	tcase_add_test(tc, test_announce_ack);
	tcase_add_test(tc, test_announce_saved);
	tcase_add_test(tc, test_restore_before_ctrl_queue);
	tcase_add_test(tc, test_tx_offloads);
	tcase_add_test(tc, test_rx_offloads_follow_driver);
	tcase_add_test(tc, test_rx_mergeable);
	suite_add_tcase(s, tc);
	return s;
}
