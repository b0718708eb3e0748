#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Domain events and consoles of keel-virtd seen by Debian's unpatched
python3-libvirt, with libvirt's default event loop in a thread, as a
management script runs it. check_virtd_events runs the host part,
check_virtd_kvm the guest part:

  virtd_events.py host URI RO_URI SOCKET KERNEL
      no KVM needed: callbacks registered every way a script does see
      the domains it defines and undefines through libvirt (DEFINED
      ADDED, UNDEFINED REMOVED), a callback for one domain sees only
      that one's, a deregistered one nothing; a read-only connection
      gets events but no console; a console of a shut-off domain or of
      a device keel has not is refused with libvirt's codes; and on the
      raw socket, what libvirt's client library would never send (an
      event ID past libvirt's, a callback never registered, stream
      bytes for no stream) gets an error or is ignored, never a crash.

  virtd_events.py guest URI NAME KERNEL
      on KVM, NAME being a defined echo guest: started, suspended,
      resumed, stopped with libvirt's detail codes while libvirt starts,
      suspends, resumes and destroys it, to a callback and to
      `virsh event --all --loop`; its console as a virStream, and
      `virsh console` on a pseudo-terminal; domainListGetStats and
      getAllDomainStats of it running; and a domain of KERNEL (the echo
      guest) defined from XML, started, its XMLDesc defined again
      unchanged, shut down (asked), destroyed and undefined.

  virtd_events.py cache URI KEELD_SOCKET KERNEL
      no KVM needed, keeld's keel-hv a stand-in that exits at once
      (every start fails): keel-virtd's state cache. A change made
      through keel-virtd (a failed start: shut off, "failed") is in the
      next GET_STATE of the same connection, with no wait; one made
      behind its back, through keeld's own socket (a failed start, an
      undefine), is in a GET_STATE once keeld's event has come.

It prints what it saw and exits 0 only when everything is as it must be.
"""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

import libvirt

LIFECYCLE = libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE
EVENT_ID_LAST = 27  # libvirt 9.0's VIR_DOMAIN_EVENT_ID_LAST
WAIT_S = 20
VIRSH = "/usr/bin/virsh"


def start_loop():
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()

    threading.Thread(target=run, daemon=True).start()


class Seen:
    """What one callback received: (domain name, event, detail)."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def cb(self, conn, dom, event, detail, opaque):
        with self.cond:
            self.events.append((dom.name(), event, detail))
            self.cond.notify_all()

    def legacy_cb(self, conn, dom, event, detail, opaque):
        self.cb(conn, dom, event, detail, opaque)

    def wait_for(self, want):
        end = time.time() + WAIT_S
        with self.cond:
            while want not in self.events:
                left = end - time.time()
                assert left > 0, "no %r in %r" % (want, self.events)
                self.cond.wait(left)


def domain_xml(name, kernel):
    return ("<domain type='kvm'><name>%s</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type><kernel>%s</kernel></os>"
            "</domain>" % (name, kernel))


def expect_error(code, fn, *args):
    try:
        fn(*args)
    except libvirt.libvirtError as e:
        assert e.get_error_code() == code, (code, e.get_error_code(), str(e))
        return str(e)
    raise AssertionError("%s did not fail" % fn.__name__)


# --- keel's XDR by hand, for what libvirt's library never sends ---------

PROG, VERS = 0x20008086, 1


def xdr_str(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


class Raw:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(WAIT_S)
        self.s.connect(path)
        self.serial = 0

    def send(self, proc, mtype, serial, status, payload):
        hdr = struct.pack(">IIiiIi", PROG, VERS, proc, mtype, serial, status)
        self.s.sendall(struct.pack(">I", 28 + len(payload)) + hdr + payload)

    def recv(self):
        def exact(n):
            b = b""
            while len(b) < n:
                c = self.s.recv(n - len(b))
                assert c, "keel-virtd closed the connection"
                b += c
            return b
        n, = struct.unpack(">I", exact(4))
        msg = exact(n - 4)
        return struct.unpack(">IIiiIi", msg[:24]), msg[24:]

    def call(self, proc, payload=b""):
        """Returns (0, payload) or (libvirt's error code, message)."""
        self.serial += 1
        self.send(proc, 0, self.serial, 0, payload)
        while True:
            h, body = self.recv()
            if h[3] == 1 and h[4] == self.serial:
                break
        if h[5] == 0:
            return 0, body
        code, = struct.unpack(">i", body[:4])
        return code, body


def keeld_call(sock, method, params):
    """One JSON-RPC call on keeld's socket: keel-virtd is not told."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(WAIT_S)
    s.connect(sock)
    s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                          "params": params}).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        assert c, "keeld closed the connection"
        buf += c
    s.close()
    return json.loads(buf)


def wait_state(dom, want):
    """dom.state() (GET_STATE, no lookup first) until it is @want."""
    end = time.time() + WAIT_S
    while True:
        got = dom.state()
        if got == want:
            return
        assert time.time() < end, "GET_STATE says %r, not %r" % (got, want)
        time.sleep(0.05)


def cache(uri, keeld_sock, kernel):
    shutoff = libvirt.VIR_DOMAIN_SHUTOFF
    failed = [shutoff, libvirt.VIR_DOMAIN_SHUTOFF_FAILED]
    conn = libvirt.open(uri)

    # Through keel-virtd: the next call of the same connection sees it.
    dom = conn.defineXML(domain_xml("c1", kernel))
    conn.listAllDomains(0)
    before = dom.state()
    assert before[0] == shutoff and before != failed, before
    for _ in range(3):
        assert dom.state() == before, dom.state()
    expect_error(libvirt.VIR_ERR_OPERATION_FAILED, dom.create)
    assert dom.state() == failed, dom.state()
    dom.undefine()
    expect_error(libvirt.VIR_ERR_NO_DOMAIN, dom.state)
    print("a change through keel-virtd, in its next GET_STATE: ok")

    # Behind keel-virtd's back: keeld's events bring it.
    dom = conn.defineXML(domain_xml("c2", kernel))
    conn.listAllDomains(0)
    before = dom.state()
    assert before != failed, before
    r = keeld_call(keeld_sock, "domain.start", {"name": "c2"})
    assert "error" in r, r
    wait_state(dom, failed)
    conn.listAllDomains(0)
    assert dom.state() == failed, dom.state()
    r = keeld_call(keeld_sock, "domain.undefine", {"name": "c2"})
    assert "error" not in r, r
    end = time.time() + WAIT_S
    while True:
        try:
            dom.state()
        except libvirt.libvirtError as e:
            assert e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, str(e)
            break
        assert time.time() < end, "GET_STATE still answers for c2"
        time.sleep(0.05)
    print("changes behind keel-virtd's back, after their events: ok")
    conn.close()


def host(uri, ro_uri, sock, kernel):
    start_loop()
    conn = libvirt.open(uri)
    ro = libvirt.openReadOnly(ro_uri)

    every, legacy, one, ro_seen = Seen(), Seen(), Seen(), Seen()
    ids = [conn.domainEventRegisterAny(None, LIFECYCLE, every.cb, None)]
    conn.domainEventRegister(legacy.legacy_cb, None)
    ids.append(ro.domainEventRegisterAny(None, LIFECYCLE, ro_seen.cb, None))
    # virsh event --all registers every ID libvirt 9.0 knows.
    others = [conn.domainEventRegisterAny(None, i, lambda *a: None, None)
              for i in range(1, EVENT_ID_LAST)]
    print("registered %d callbacks" % (len(ids) + len(others) + 1))

    d1 = conn.defineXML(domain_xml("ev1", kernel))
    added = ("ev1", libvirt.VIR_DOMAIN_EVENT_DEFINED,
             libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED)
    for s in (every, legacy, ro_seen):
        s.wait_for(added)
    print("defined: %r" % (every.events,))

    one_id = conn.domainEventRegisterAny(d1, LIFECYCLE, one.cb, None)
    conn.defineXML(domain_xml("ev2", kernel))
    every.wait_for(("ev2", libvirt.VIR_DOMAIN_EVENT_DEFINED,
                    libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED))
    d1.undefine()
    removed = ("ev1", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
               libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)
    every.wait_for(removed)
    one.wait_for(removed)
    assert [e for e in one.events if e[0] != "ev1"] == [], one.events
    conn.domainEventDeregisterAny(one_id)
    conn.domainEventDeregister(legacy.legacy_cb)
    n_one, n_legacy = len(one.events), len(legacy.events)
    conn.lookupByName("ev2").undefine()
    every.wait_for(("ev2", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
                    libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED))
    time.sleep(0.5)
    assert len(one.events) == n_one, one.events
    assert len(legacy.events) == n_legacy, legacy.events
    print("filtered and deregistered callbacks: ok")

    # Consoles: refused on the read-only connection, of a shut-off
    # domain, of a device keel does not have.
    conn.defineXML(domain_xml("ev3", kernel))
    st = ro.newStream(0)
    msg = expect_error(libvirt.VIR_ERR_OPERATION_DENIED,
                       ro.lookupByName("ev3").openConsole, None, st, 0)
    print("read-only console: %s" % msg)
    dom = conn.lookupByName("ev3")
    msg = expect_error(libvirt.VIR_ERR_OPERATION_INVALID, dom.openConsole,
                       None, conn.newStream(0), 0)
    print("console of a shut-off domain: %s" % msg)
    msg = expect_error(libvirt.VIR_ERR_INVALID_ARG, dom.openConsole,
                       "parallel0", conn.newStream(0), 0)
    print("console parallel0: %s" % msg)
    expect_error(libvirt.VIR_ERR_INVALID_ARG, dom.openConsole, None,
                 conn.newStream(0), 4)
    dom.undefine()

    raw = Raw(sock)
    code, _ = raw.call(1, struct.pack(">I", 1) + xdr_str("keel:///system") +
                       struct.pack(">I", 0))
    assert code == 0, code
    code, _ = raw.call(60, struct.pack(">i", 14))
    assert code == 0 and _ == struct.pack(">i", 1), (code, _)
    for bad in (EVENT_ID_LAST, -1, 1 << 30):
        code, _ = raw.call(316, struct.pack(">iI", bad, 0))
        assert code == libvirt.VIR_ERR_INVALID_ARG, (bad, code)
    code, body = raw.call(316, struct.pack(">iI", LIFECYCLE, 0))
    assert code == 0, code
    cb_id, = struct.unpack(">i", body)
    for bad in (cb_id + 1000, -1, 0):
        code, _ = raw.call(317, struct.pack(">i", bad))
        assert code == libvirt.VIR_ERR_INVALID_ARG, (bad, code)
    # Another connection's callback is not this one's to deregister.
    code, _ = raw.call(317, struct.pack(">i", ids[0]))
    assert code == libvirt.VIR_ERR_INVALID_ARG, code
    code, _ = raw.call(317, struct.pack(">i", cb_id))
    assert code == 0, code
    code, _ = raw.call(317, struct.pack(">i", cb_id))
    assert code == libvirt.VIR_ERR_INVALID_ARG, code
    # Stream bytes, a finish and an abort for streams that are not open.
    raw.send(201, 3, 77, 2, b"hello")
    raw.send(201, 3, 77, 0, b"")
    raw.send(201, 3, 78, 1, b"")
    raw.send(999, 3, 79, 2, b"x" * 100)
    code, _ = raw.call(3)
    assert code == 0, code
    print("raw registrations and stray stream messages: ok")
    # libvirt's library refuses a read-only console itself; keel-virtd
    # must too, for a client that asks anyway.
    raw_ro = Raw(sock + "-ro")
    code, _ = raw_ro.call(1, struct.pack(">I", 1) + xdr_str("keel:///system") +
                          struct.pack(">I", 0))
    assert code == 0, code
    dom_arg = xdr_str("ev3") + b"\0" * 16 + struct.pack(">i", -1)
    code, _ = raw_ro.call(201, dom_arg + struct.pack(">II", 0, 0))
    assert code == libvirt.VIR_ERR_OPERATION_DENIED, code
    code, _ = raw_ro.call(316, struct.pack(">iI", LIFECYCLE, 0))
    assert code == 0, code
    print("read-only socket: console denied, events allowed")

    conn.domainEventDeregisterAny(ids[0])
    ro.domainEventDeregisterAny(ids[1])
    for i in others:
        conn.domainEventDeregisterAny(i)
    ro.close()
    conn.close()


def read_until(fd, wants, wait_s=WAIT_S):
    """What a child prints on fd until every string in wants has
    appeared, or wait_s has passed, or it closed its end."""
    got = b""
    end = time.time() + wait_s
    while not all(w.encode() in got for w in wants) and time.time() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            got += chunk
    return got.decode(errors="replace")


def virsh_console(uri, name):
    """virsh console is interactive: run it on a pseudo-terminal, type a
    line into the echo guest, read the echo, leave with Ctrl+]."""
    pid, fd = os.forkpty()
    if pid == 0:
        os.execv(VIRSH, [VIRSH, "-c", uri, "console", name])
    got = b""
    end = time.time() + WAIT_S

    def until(want):
        nonlocal got
        while want not in got:
            assert time.time() < end, "virsh console: no %r in %r" % (want, got)
            r, _, _ = select.select([fd], [], [], 1)
            if r:
                try:
                    got += os.read(fd, 4096)
                except OSError:
                    break
        assert want in got, "virsh console: no %r in %r" % (want, got)

    # Typed before virsh has the terminal raw, a line is the tty's, not
    # the guest's: wait for the console's history (the guest's prompt).
    until(b"Escape character is ^]")
    until(b"to stop")
    os.write(fd, b"virsh\r")
    until(b"echo: virsh")
    os.write(fd, b"\x1d")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, got)
    print("virsh console: %r" % got[-40:])


def guest(uri, name, kernel):
    start_loop()
    conn = libvirt.open(uri)
    seen = Seen()
    cb = conn.domainEventRegisterAny(None, LIFECYCLE, seen.cb, None)
    # virsh event --all --loop beside this script's own callback. It says
    # nothing when it has registered: define and undefine a probe domain
    # until virsh prints the probe's event, then it sees what follows.
    watch = subprocess.Popen([VIRSH, "-c", uri, "event", "--all", "--loop"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    probe = "event 'lifecycle' for domain 'virsh-probe': Defined Added"
    out = ""
    end = time.time() + WAIT_S
    while probe not in out and time.time() < end:
        conn.defineXML(domain_xml("virsh-probe", kernel)).undefine()
        out += read_until(watch.stdout.fileno(), [probe], 1)
    assert probe in out, "virsh event: no %r in %r" % (probe, out)
    dom = conn.lookupByName(name)
    dom.create()
    seen.wait_for((name, libvirt.VIR_DOMAIN_EVENT_STARTED,
                   libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED))
    virsh_console(uri, name)

    # The console: the echo guest answers a line typed into it.
    st = conn.newStream(0)
    dom.openConsole(None, st, 0)
    got = b""
    st.send(b"keel\r")
    end = time.time() + WAIT_S
    while b"echo: keel" not in got:
        assert time.time() < end, "no echo in %r" % got
        got += st.recv(4096)
    st.finish()
    print("console: %r" % got[-40:])

    # Statistics of the running domain, as a monitoring script asks.
    stats = conn.domainListGetStats([dom], 0)
    assert len(stats) == 1 and stats[0][0].name() == name, stats
    rec = stats[0][1]
    assert rec["state.state"] == libvirt.VIR_DOMAIN_RUNNING, rec
    assert rec["cpu.time"] > 0 and "balloon.maximum" in rec, rec
    active = conn.getAllDomainStats(
        libvirt.VIR_DOMAIN_STATS_STATE,
        libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)
    assert [d.name() for d, _ in active] == [name], active
    print("domainListGetStats: %d fields" % len(rec))

    dom.suspend()
    seen.wait_for((name, libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                   libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED))
    dom.resume()
    seen.wait_for((name, libvirt.VIR_DOMAIN_EVENT_RESUMED,
                   libvirt.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED))
    dom.destroy()
    seen.wait_for((name, libvirt.VIR_DOMAIN_EVENT_STOPPED,
                   libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED))
    print("events: %r" % seen.events)
    # virsh has its own connection: its copy of an event may come after
    # this script's callback has seen it. Read until all four are there.
    wants = ["event 'lifecycle' for domain '%s': %s" % (name, what)
             for what in ("Started Booted", "Suspended Paused",
                          "Resumed Unpaused", "Stopped Destroyed")]
    out = read_until(watch.stdout.fileno(), wants)
    watch.terminate()
    watch.communicate(timeout=WAIT_S)
    for want in wants:
        assert want in out, "virsh event: no %r in %r" % (want, out)
    print("virsh event: ok")
    lifecycle(conn, seen, kernel)
    conn.domainEventDeregisterAny(cb)
    conn.close()


def lifecycle(conn, seen, kernel):
    """defineXML, create, XMLDesc round trip, shutdown, destroy,
    undefine, as a management script drives a domain."""
    dom = conn.defineXML(domain_xml("py1", kernel))
    uuid = dom.UUIDString()
    assert dom.isPersistent() == 1 and dom.isActive() == 0
    dom.create()
    seen.wait_for(("py1", libvirt.VIR_DOMAIN_EVENT_STARTED,
                   libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED))
    assert dom.isActive() == 1 and dom.ID() > 0, dom.ID()
    xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    again = conn.defineXML(xml)
    assert again.UUIDString() == uuid, (again.UUIDString(), uuid)
    assert again.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == xml
    # The power button: the echo guest has no ACPI and runs on.
    assert dom.shutdown() == 0
    dom.destroy()
    seen.wait_for(("py1", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                   libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED))
    assert dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF, dom.info()
    dom.undefine()
    seen.wait_for(("py1", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
                   libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED))
    print("defineXML/create/XMLDesc/shutdown/destroy/undefine: ok")


if __name__ == "__main__":
    if sys.argv[1] == "host":
        host(*sys.argv[2:6])
    elif sys.argv[1] == "cache":
        cache(*sys.argv[2:5])
    else:
        guest(*sys.argv[2:5])
    print("virtd_events.py: ok")
