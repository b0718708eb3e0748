/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_HV_PROTO_H
#define KEEL_HV_PROTO_H

#include <stdbool.h>
#include <string.h>

/*
 * The words keel's programs say to each other (docs/architecture.md):
 * keeld to keel-hv on its command line, in its run directory and on its
 * control socket; keel-hv back in its exit status and status file; and
 * the limits every layer checks (schemas/domain.schema.json states the
 * same numbers; tests/unit/check_hv_proto fails when they drift).
 * hypervisor/, daemon/, lib/ and cli/ include this instead of spelling
 * any of it again. Error codes and domain states are public API and
 * live in keel.h.
 */

/* --- Limits ----------------------------------------------------------- */

/* vCPUs of one domain: one keel-hv thread each. */
#define KEEL_VCPUS_MIN 1
#define KEEL_VCPUS_MAX 64

/* A domain's memory, in MiB: what a Linux guest needs, to 1 TiB. */
#define KEEL_MEMORY_MIN_MIB 16
#define KEEL_MEMORY_MAX_MIB (1024LL * 1024)

/*
 * What a keel-hv process holds beyond its guest's RAM, for the memory
 * cgroup limit keeld gives a domain: its maxmem (or memory), plus
 * HV_MEM_OVERHEAD_MIB, plus 1/HV_MEM_PAGE_TABLE_DIV of the guest's RAM
 * for what the kernel charges to the group per guest page (KVM's page
 * tables and reverse maps, 8 bytes each per 4 KiB page, dirty bitmaps).
 * Measured (docs/qos.md, "Memory"): keel-hv with the echo test guest
 * has a VmRSS of 2.7-4.7 MiB in all (0.3-2.3 MiB anonymous, guest
 * pages included); 64 MiB leaves room for console rings, virtqueue buffers
 * and the page cache of disk I/O, which the group is charged for.
 */
#ifndef KEEL_SANITIZERS
#define HV_MEM_OVERHEAD_MIB 64
#else
/*
 * A sanitizer build's keel-hv holds ASan's shadow of what it touches and
 * up to 256 MiB of freed memory in ASan's quarantine: under the plain
 * build's limit the kernel killed it (check_hotplug, 128 MiB guest,
 * 195 MiB anonymous).
 */
#define HV_MEM_OVERHEAD_MIB 512
#endif
#define HV_MEM_PAGE_TABLE_DIV 256

/* Devices per domain. */
#define KEEL_DISKS_MAX 16
#define KEEL_NICS_MAX 8

/* A domain's name: 1 to 64 of [A-Za-z0-9_.+-], not starting with '-'. */
#define KEEL_DOMAIN_NAME_MAX 64
/* A uuid in its 8-4-4-4-12 text form. */
#define KEEL_DOMAIN_UUID_LEN 36

/*
 * A disk's vdev, xl's whole-disk name: (xvd|vd|hd|sd)[a-z]{1,3}, the
 * pattern of schemas/domain.schema.json. One test for keel-hv's --vdev,
 * keeld's reading of it and the xl.cfg reader.
 */
static inline bool keel_vdev_valid(const char *s)
{
	size_t n;

	if (!strncmp(s, "xvd", 3))
		s += 3;
	else if (!strncmp(s, "vd", 2) || !strncmp(s, "hd", 2) ||
		 !strncmp(s, "sd", 2))
		s += 2;
	else
		return false;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	return n >= 1 && n <= 3 && !s[n];
}

/* --- keel-hv's command line (man/keel-hv.8) ---------------------------- */

/* Long option names, without the leading "--". */
#define HV_OPT_KERNEL "kernel"
#define HV_OPT_INITRD "initrd"
#define HV_OPT_CMDLINE "cmdline"
#define HV_OPT_MEMORY "memory"
#define HV_OPT_MAXMEM "maxmem"
#define HV_OPT_VCPUS "vcpus"
/* [VCPU:]CPULIST, repeatable: host CPUs of every vCPU, or of one. */
#define HV_OPT_CPUS "cpus"
#define HV_OPT_MAXVCPUS "maxvcpus"
#define HV_OPT_CONSOLE "console"
#define HV_OPT_CONSOLE_SOCKET "console-socket"
#define HV_OPT_CONSOLE_LOG "console-log"
#define HV_OPT_CONSOLE_LOG_SIZE "console-log-size"
#define HV_OPT_CONSOLE_RING "console-ring"
#define HV_OPT_VIRTIO_CONSOLE "virtio-console"
#define HV_OPT_DISK "disk"
#define HV_OPT_DISK_FD "disk-fd"
#define HV_OPT_NET "net"
/* --iotune=vblkN:KEY=N,...|vnetN:KEY=N,...: lib/iotune.h names the keys. */
#define HV_OPT_IOTUNE "iotune"
/*
 * --vdev=vblkN:NAME, repeatable: the name (xvda, vdb, sda...) keeld and
 * the domain's configuration know disk N by. keel-hv names the disk so
 * in its sentences; keeld reads it back from the command line when it
 * re-adopts a keel-hv without its state file.
 */
#define HV_OPT_VDEV "vdev"
#define HV_OPT_RNG "rng"
#define HV_OPT_BALLOON "balloon"
/*
 * --prefault: back all guest RAM before the guest runs or a stream
 * comes (the configuration's "prefault", libvirt's allocation
 * mode='immediate'), instead of on first touch.
 */
#define HV_OPT_PREFAULT "prefault"
#define HV_OPT_CONTROL "control"
#define HV_OPT_UUID "uuid"
#define HV_OPT_NAME "name"
#define HV_OPT_STATUS_FILE "status-file"
#define HV_OPT_PAUSED "paused"
#define HV_OPT_LINGER "linger"
/*
 * --dump-on=crash,poweroff,reboot: when the VM ends so, write its core
 * (ELF, as the dump-core control method) into --dump-dir before exiting:
 * keeld's on_*=coredump-destroy and coredump-restart.
 */
#define HV_OPT_DUMP_ON "dump-on"
#define HV_OPT_DUMP_DIR "dump-dir"
#define HV_OPT_LOG_LEVEL "log-level"
/*
 * --restore=FD: start from the domain stream (docs/stream.md) on the
 * inherited descriptor FD, read to its END record before the control
 * socket is made, instead of booting --kernel. The rest of the command
 * line describes the machine the stream was saved from (memory, vCPUs,
 * devices, as keeld builds it from the header's config); keel-hv
 * refuses a stream that does not fit it, with the reason in the status
 * file, and runs nothing it restored until the whole stream checked.
 * With --paused the vCPUs wait for resume.
 */
#define HV_OPT_RESTORE "restore"
/*
 * --incoming=FD --incoming-token=FD2 --pki-dir=DIR [--incoming-peer=DN]
 * (docs/migration.md, "keel-hv: the destination"): FD is a listening
 * TCP socket keeld bound; keel-hv accepts one TLS connection on it
 * (DIR's servercert.pem, a client certificate from DIR's CA, whose
 * subject in RFC 2253 form matches the fnmatch pattern DN when given),
 * reads the token line HV_MIG_HELLO " TOKEN\n" and checks TOKEN against
 * the one line FD2 (a pipe) holds, then restores from the stream as
 * --restore does. The rest of the command line describes the machine.
 */
#define HV_OPT_INCOMING "incoming"
#define HV_OPT_INCOMING_TOKEN "incoming-token"
#define HV_OPT_INCOMING_PEER "incoming-peer"
#define HV_OPT_PKI_DIR "pki-dir"
/*
 * The migration connection's lines (docs/migration.md). Version 2: the
 * destination answers each pass's PROGRESS record, once it has applied
 * everything before it, with HV_MIG_ACK " ROUND".
 */
#define HV_MIG_HELLO "KEELMIG 2"
#define HV_MIG_OK "OK"
#define HV_MIG_NO "NO"
#define HV_MIG_ACK "ACK"
#define HV_MIG_DONE "DONE"
#define HV_MIG_FAIL "FAIL"
/* The token: 128 random bits as 32 hex digits. */
#define HV_MIG_TOKEN_LEN 32
/* How long an incoming keel-hv waits for its connection, in seconds. */
#define HV_MIG_ACCEPT_S 120
#define HV_OPT_HELP "help"

/* --- keel-hv's exit status and the status file's "reason" --------------- */

/*
 * Why a keel-hv process ended. The exit status is the number; the
 * status file ({"reason": NAME, "status": N, "detail": SENTENCE}) has
 * both, and is written for every end once the options were understood,
 * a failure to start included: "detail" is then the sentence a user is
 * shown ("This host's KVM runs at most 8 vCPUs per VM; the domain asks
 * for 16."), so nobody reads keel-hv's log to learn it.
 */
enum hv_exit {
	HV_EXIT_POWEROFF = 0,	/* the guest powered off (or --help) */
	HV_EXIT_ERROR = 1,	/* keel-hv failed: could not start, host error */
	HV_EXIT_REBOOT = 2,	/* the guest asked for a reset */
	HV_EXIT_CRASH = 3,	/* triple fault, KVM internal error, panic */
	HV_EXIT_KILLED = 4,	/* stop on the control socket, or a signal */
	HV_EXIT_SAVED = 5,	/* saved (save, "then": "stop") and ended */
	HV_EXIT_MIGRATED = 6,	/* migrated, then stop {"reason": "migrated"} */
	HV_EXIT_EXEC_FAILED = 127, /* keeld's child could not run keel-hv */
};

#define HV_REASON_POWEROFF "poweroff"
#define HV_REASON_ERROR "error"
#define HV_REASON_REBOOT "reboot"
#define HV_REASON_CRASH "crash"
#define HV_REASON_KILLED "killed"
#define HV_REASON_SAVED "saved"
#define HV_REASON_MIGRATED "migrated"

/* The status file's members. */
#define HV_STATUS_REASON "reason"
#define HV_STATUS_STATUS "status"
#define HV_STATUS_DETAIL "detail"

/* --- A domain's run directory (RUN_DIR/domains/UUID/) ------------------ */

#define HV_RUN_CONTROL "control.sock"	/* keel-hv's control socket */
#define HV_RUN_CONSOLE "console.sock"	/* keel-hv's console server */
#define HV_RUN_STATUS "exit.json"	/* keel-hv's status file */
#define HV_RUN_STATE "state.json"	/* keeld's record of the process */

/* --- keel-hv's control socket (JSON-RPC 2.0, one object per line) ------- */

#define HV_CTL_STATUS "status"
#define HV_CTL_PAUSE "pause"
#define HV_CTL_RESUME "resume"
#define HV_CTL_STOP "stop"
#define HV_CTL_POWER_BUTTON "power-button"
/* {"vcpu": N (absent: 0)}: inject an NMI into one vCPU (xl trigger nmi). */
#define HV_CTL_NMI "nmi"
/* A hard reset: the VM ends as a guest reset does (xl trigger reset). */
#define HV_CTL_RESET "reset"
/* {"key": "h"}: a break and the key on COM1, the console's SysRq. */
#define HV_CTL_SYSRQ "sysrq"
/*
 * dump-core {"path": ABSOLUTE}: write the guest's ELF core to a new
 * file, the vCPUs paused meanwhile; {"path", "bytes"} when written.
 */
#define HV_CTL_DUMP_CORE "dump-core"
#define HV_CTL_STATS "stats"
#define HV_CTL_BALLOON "balloon"
/*
 * The connection gets HV_CTL_BALLOON_CHANGED, HV_CTL_DEVICE_REMOVED,
 * HV_CTL_SAVE_PROGRESS, HV_CTL_MIGRATE_PROGRESS and HV_CTL_MIGRATE_DONE
 * from now on.
 */
#define HV_CTL_SUBSCRIBE "subscribe"
/* Notification: {"target_mib", "actual_mib"} of the balloon moved. */
#define HV_CTL_BALLOON_CHANGED "balloon-changed"
/*
 * iotune {"device": "vblk0", "limits": {KEY: N, ...}}: replace a disk's
 * or NIC's I/O limits (lib/iotune.h; absent keys are 0, no limit);
 * without "limits", only report. The result is the limits in force.
 */
#define HV_CTL_IOTUNE "iotune"
/* Each vCPU's thread: tid, host CPU, state, CPU time, affinity. */
#define HV_CTL_VCPUS "vcpus"
/* {"vcpu": N (absent: every vCPU), "cpus": CPULIST}: pin live. */
#define HV_CTL_VCPU_PIN "vcpu-pin"
/* {"online": N}: hot-plug or unplug vCPUs (ACPI) until N are online. */
#define HV_CTL_VCPU_SET "vcpu-set"
/*
 * PCI hot-plug of disks and NICs (docs/hypervisor.md). device-add
 * {"disk": "PATH[,ro]"} or {"net": "tap=NAME[,mac=MAC]"} (the words of
 * --disk and --net): the device is plugged and the guest told; the
 * result is {"device": "vblk1", "slot": N}. device-del {"device": ID}
 * asks the guest to give ID up: the result says the request is out, and
 * HV_CTL_DEVICE_REMOVED {"device": ID} goes to subscribed connections
 * once the guest ejected it and keel-hv freed it. devices lists the
 * disks and NICs: [{"id", "type", "slot", "removing"}].
 */
#define HV_CTL_DEVICE_ADD "device-add"
#define HV_CTL_DEVICE_DEL "device-del"
#define HV_CTL_DEVICES "devices"
#define HV_CTL_DEVICE_REMOVED "device-removed"
/*
 * save {"path": ABSOLUTE, "then": "stop"|"pause"|"resume", "config":
 * {...}}: pause the vCPUs, write the domain stream (docs/stream.md) into
 * the new file PATH (O_EXCL, mode 0600) with "config" (the domain's
 * configuration, keeld's schema) in its header, fsync it; then end the
 * VM (HV_EXIT_SAVED, once the answer is sent), leave it paused, or run
 * it again ("resume" returns it to the state it was in: a domain that
 * was paused stays paused). Any failure (a full disk) removes the
 * partial file and leaves the VM as it was. Result {"path", "bytes",
 * "ms"}. While it writes, subscribed connections get
 * HV_CTL_SAVE_PROGRESS {"done": BYTES, "total": BYTES}, at most every
 * 100 ms and 64 MiB: total is the guest's RAM, an estimate (zero pages
 * and compression make the file smaller), until the last notification,
 * whose total is the stream's size. "then" is required; a path that
 * exists is refused (-32602), and a failed write is -32007. Instead of
 * "path", "pipe": ABSOLUTE names a FIFO another process already reads
 * (keeld's writer, daemon/save_writer.h); keel-hv then syncs and
 * removes nothing. keeld saves so with "then": "pause", and once its
 * writer has the file synced sends HV_CTL_STOP {"reason": "saved"},
 * which ends the VM with HV_EXIT_SAVED (only while that pause holds),
 * or resume.
 */
#define HV_CTL_SAVE "save"
#define HV_CTL_SAVE_PROGRESS "save-progress"
/*
 * Live migration, the source side (docs/migration.md). migrate {"host",
 * "port", "server_name", "token", "pki_dir", "config", "downtime_ms"
 * (300), "bandwidth_mib" (0: no limit), "auto_converge" (false),
 * "live" (true)}: connect to the destination keel-hv over TLS 1.3
 * (pki_dir's clientcert.pem; the server's certificate must name host),
 * send the token line and answer {} once the destination said OK, or
 * -32007 with the sentence (refused certificate, wrong token,
 * unreachable host). A thread of its own then sends the domain stream:
 * pass 1 all of RAM, then passes of the pages dirtied meanwhile, each
 * followed by HV_CTL_MIGRATE_PROGRESS {"round", "sent" (bytes so far),
 * "remaining" (dirty bytes), "dirty_rate" (bytes/s),
 * "expected_downtime_ms", "throttle" (%)} to subscribed connections.
 * Once the dirty bytes fit downtime_ms at the measured rate (or on
 * force, or at once with live false), the vCPUs pause, the rest goes
 * and the destination's DONE comes: HV_CTL_MIGRATE_DONE {"ok": true,
 * "sent", "rounds", "downtime_ms", "stream_ms" (the first pass's start
 * to DONE)} with the VM left paused, which
 * HV_CTL_STOP {"reason": "migrated"} ends (HV_EXIT_MIGRATED) or resume
 * runs on. Any failure before DONE: HV_CTL_MIGRATE_DONE {"ok": false,
 * "error": SENTENCE} and the VM runs as before. The connection that
 * started the migration closing before DONE cancels it. There is no
 * limit on the passes: keeld's timeout_s decides.
 * migrate-set {"downtime_ms", "bandwidth_mib", "auto_converge",
 * "force"}: change the migration under way; force stops and copies now.
 * migrate-cancel: before DONE only; the migration ends with "error":
 * "cancelled".
 * Destination (keel-hv --incoming): HV_CTL_INCOMING_DONE once the
 * stream checked and DONE was sent; status says "incoming" until then.
 */
#define HV_CTL_MIGRATE "migrate"
#define HV_CTL_MIGRATE_SET "migrate-set"
#define HV_CTL_MIGRATE_CANCEL "migrate-cancel"
#define HV_CTL_MIGRATE_PROGRESS "migrate-progress"
#define HV_CTL_MIGRATE_DONE "migrate-done"
/*
 * Notification to subscribers: an incoming migration's stream was
 * applied (DONE sent); the VM waits paused, status reason "migrated",
 * until resume. {"peer": SUBJECT, "ms": how long the stream took}.
 */
#define HV_CTL_INCOMING_DONE "incoming-done"
/* Notification keel-hv sends when the VM has stopped. */
#define HV_CTL_STOPPED "stopped"

#endif
