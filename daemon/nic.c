// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain's network interfaces on the host (nic.h). keel-hv opens
 * (creates) each tap itself, and the kernel removes a tap that is not
 * persistent, and with it its bridge port, when the last descriptor on
 * it closes: so keeld only names them before the start and adds them to
 * their bridges once keel-hv is up, and has nothing to tear down when a
 * domain stops (a persistent tap the host made stays as the host set it
 * up).
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "nic.h"
#include "registry.h"

void nic_assign(struct json_object *config, int id)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config, "nics", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);
		char name[32];

		if (!json_member_string(nic, "mac")) {
			unsigned char b[3] = { 0 };
			char mac[18];

			if (getrandom(b, sizeof(b), 0) != sizeof(b))
				b[2] = (unsigned char)(id + (int)i);
			snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x",
				 b[0] & 0x7f, b[1], b[2]);
			json_object_object_add(nic, "mac",
					       json_object_new_string(mac));
		}
		if (json_member_string(nic, "tap"))
			continue;
		/* Within IFNAMSIZ for ids below 10^8 and 99 NICs. */
		snprintf(name, sizeof(name), "keel%d.%zu", id % 100000000,
			 i % 100);
		json_object_object_add(nic, "tap", json_object_new_string(name));
	}
}

void nic_default_bridge(struct json_object *config, const char *bridge)
{
	struct json_object *list;

	if (!bridge || !json_object_object_get_ex(config, "nics", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);

		if (!json_member_string(nic, "bridge"))
			json_object_object_add(nic, "bridge",
					       json_object_new_string(bridge));
	}
}

/* Add tap @tap to bridge @bridge and bring it up (xl's vif-bridge). */
static int nic_bridge_attach(const char *tap, const char *bridge)
{
	struct ifreq ifr;
	int fd, index, rc = 0;

	index = (int)if_nametoindex(tap);
	if (!index)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = index;
	if (ioctl(fd, SIOCBRADDIF, &ifr) && errno != EBUSY)
		rc = -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (!rc && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			rc = -errno;
	}
	close(fd);
	return rc;
}

int nic_attach_bridges(struct json_object *config, char *why, size_t size)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config, "nics", &list))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);
		const char *bridge = json_member_string(nic, "bridge");
		const char *tap = json_member_string(nic, "tap");
		int rc;

		if (!bridge)
			continue;
		rc = nic_bridge_attach(tap, bridge);
		if (rc) {
			snprintf(why, size,
				 "cannot add %s to the bridge %s: %s", tap,
				 bridge, strerror(-rc));
			return rc;
		}
	}
	return 0;
}
