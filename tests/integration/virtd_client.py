#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""python3-libvirt (Debian's, unpatched) against keel-virtd: the calls a
management script makes first. check_virtd runs it with the URI and the
names of two domains it defined through keeld, web (running nothing,
256 MiB of 512, 2 vCPUs) and db; it prints what it saw and exits 0 only
when every answer is what keel-virtd must give."""
import sys
import threading

import libvirt


def main(uri):
    conn = libvirt.open(uri)
    assert conn.getType() == "KEEL", conn.getType()
    assert conn.getURI().startswith("keel+unix:///system"), conn.getURI()
    assert conn.getLibVersion() > 0
    names = sorted(d.name() for d in conn.listAllDomains())
    assert names == ["db", "web"], names
    inactive = conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)
    assert len(inactive) == 2, inactive
    active = conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)
    assert active == [], active
    # libvirt's filters, keel's answers: both persistent, neither
    # autostarted, no managed save, snapshot or checkpoint anywhere.
    for flag, want in (("PERSISTENT", 2), ("TRANSIENT", 0),
                       ("SHUTOFF", 2), ("RUNNING", 0), ("PAUSED", 0),
                       ("OTHER", 0), ("AUTOSTART", 0), ("NO_AUTOSTART", 2),
                       ("MANAGEDSAVE", 0), ("NO_MANAGEDSAVE", 2),
                       ("HAS_SNAPSHOT", 0), ("NO_SNAPSHOT", 2),
                       ("HAS_CHECKPOINT", 0), ("NO_CHECKPOINT", 2)):
        got = conn.listAllDomains(
            getattr(libvirt, "VIR_CONNECT_LIST_DOMAINS_" + flag))
        assert len(got) == want, (flag, [d.name() for d in got])
    try:
        conn.listAllDomains(1 << 20)
        raise AssertionError("an unknown list flag was accepted")
    except libvirt.libvirtError as e:
        assert e.get_error_code() == libvirt.VIR_ERR_INVALID_ARG, \
            e.get_error_code()
    web = conn.lookupByName("web")
    state, maxmem, mem, vcpus, cputime = web.info()
    assert state == libvirt.VIR_DOMAIN_SHUTOFF, state
    assert (maxmem, mem, vcpus, cputime) == (524288, 262144, 2, 0), web.info()
    assert web.isPersistent() == 1
    assert web.isActive() == 0
    assert web.ID() == -1
    assert web.OSType() == "hvm"
    again = conn.lookupByUUIDString(web.UUIDString())
    assert again.name() == "web"
    try:
        conn.lookupByName("nosuch")
        raise AssertionError("lookupByName('nosuch') succeeded")
    except libvirt.libvirtError as e:
        assert e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, e.get_error_code()
    try:
        web.resume()
        raise AssertionError("resume of a shut-off domain succeeded")
    except libvirt.libvirtError as e:
        assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, \
            (e.get_error_code(), str(e))
    # Calls from many threads on the one connection: libvirt sends them
    # without waiting for each other, keel-virtd answers each under its
    # serial, in any order.
    errors = []

    def hammer():
        try:
            for _ in range(25):
                d = conn.lookupByName("db")
                assert d.info()[3] == 1, d.info()
                assert conn.lookupByName("web").maxMemory() == 524288
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    conn.close()
    print("python3-libvirt: ok", names, web.UUIDString())


if __name__ == "__main__":
    main(sys.argv[1])
