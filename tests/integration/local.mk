# tests/integration/: the migration suites (docs/migration.md) on two
# hosts made of network namespaces (twohost.h). Included from
# tests/local.mk.
TWOHOST_FIXTURE = tests/integration/twohost.c tests/integration/twohost.h \
	$(KEELD_FIXTURE)

# libvirt's client library, for the refusals virsh can hang on
# (stock_api.h): check_virtd_kvm and check_virtd_tls.
STOCK_API = tests/integration/stock_api.c tests/integration/stock_api.h
if HAVE_LIBVIRT
STOCK_API_CFLAGS = $(LIBVIRT_CFLAGS) -DKEEL_STOCK_API=1
STOCK_API_LIBS = $(LIBVIRT_LIBS)
endif

# The fixture itself: two keelds, TLS across the veth; no KVM, needs
# root. The PKI it makes lives in the build tree (twohost-pki).
check_PROGRAMS += tests/integration/check_twohost
TESTS += tests/integration/check_twohost
tests_integration_check_twohost_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_twohost.c $(TWOHOST_FIXTURE)
tests_integration_check_twohost_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_twohost_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)

# Live migration between the two hosts: the in-tree guests and the
# Debian guest there and back, the TLS matrix, cancel and the faults.
# Runs in the nested runner where /dev/kvm is missing.
check_PROGRAMS += tests/integration/check_migrate
TESTS += tests/integration/check_migrate
tests_integration_check_migrate_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_migrate.c $(TWOHOST_FIXTURE)
tests_integration_check_migrate_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
tests_integration_check_migrate_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS)

# keel-virtd with real guests and the stock clients (virsh,
# python3-libvirt, virt-install; KVM, nested where /dev/kvm is missing,
# the clients brought in): lifecycle, tuning, save, events, consoles,
# and p2p migration A to B. keel's own XDR client (virt_client.[ch])
# only for what no stock client sends.
check_PROGRAMS += tests/integration/check_virtd_kvm
TESTS += tests/integration/check_virtd_kvm
tests_integration_check_virtd_kvm_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_virtd_kvm.c tests/integration/virt_client.c \
	tests/integration/virt_client.h $(STOCK_API) $(TWOHOST_FIXTURE)
tests_integration_check_virtd_kvm_CPPFLAGS = $(VIRT_CPPFLAGS)
tests_integration_check_virtd_kvm_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(VIRT_CFLAGS) $(STOCK_API_CFLAGS)
tests_integration_check_virtd_kvm_LDADD = tests/integration/libharness.la \
	libvirt/libvirtcore.la $(UNIT_LIBS) $(JSONC_LIBS) $(STOCK_API_LIBS)
$(tests_integration_check_virtd_kvm_OBJECTS): libvirt/virt_protocol.h

clean-local: clean-twohost-pki
clean-twohost-pki:
	rm -rf tests/integration/twohost-pki tests/integration/twohost-pki.tmp
.PHONY: clean-twohost-pki
