/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_NET_H
#define KEEL_HV_VIRTIO_NET_H

#include <stdint.h>

struct vm;
struct vm_config;
struct device;

/*
 * A virtio network device (virtio 1.2, 5.1) on a tap interface: the tap
 * called @tap_name is opened (or created) on /dev/net/tun, or, if
 * @tap_fd >= 0, that already opened tap (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR; the device takes ownership of the fd) is used and
 * @tap_name only names it in logs (may be NULL). The guest sees @mac,
 * or, if NULL, a random 52:54:00:xx:xx:xx address, and a link that is
 * always up. No offloads. On @vm's device list as "vnet0", "vnet1", ...
 * Returns 0 and *@out (owned by the VM; @out may be NULL) or -errno
 * after logging why.
 */
int virtio_net_new(struct vm *vm, const char *tap_name, int tap_fd,
		   const uint8_t mac[6], struct device **out);

/* The machine's NICs, cfg->nics in order. Returns 0 or -errno, logged. */
int virtio_net_add(struct vm *vm, const struct vm_config *cfg);

#endif /* KEEL_HV_VIRTIO_NET_H */
