# guest/: `make guest` assembles the default guest (Debian's cloud kernel
# and a busybox initramfs, docs/guest.md) in the build tree and builds
# the in-tree test guests (tests/guests/local.mk).
#
#   guest/out/vmlinuz, guest/out/initrd.gz   the guest
#   guest/out/VERSION                       packages, versions, modules
#   guest/out/guest.env                     absolute paths, for sh
#   guest/cache/                            downloaded .debs; kept by
#                                           `make clean`, not distclean
#
# KEEL_GUEST_KERNEL=PACKAGE[=VERSION] (environment or make command line)
# pins the kernel package; by default it is what linux-image-cloud-amd64
# depends on when the guest is first built. `make guest-refresh` asks
# apt again.
GUEST_OUT = guest/out
GUEST_CACHE = guest/cache
GUEST_VMLINUZ = $(GUEST_OUT)/vmlinuz
GUEST_INITRD = $(GUEST_OUT)/initrd.gz
GUEST_STAMP = $(GUEST_OUT)/stamp
GUEST_PIN = $(GUEST_OUT)/pin
GUEST_SRCS = guest/mkguest.sh guest/init guest/power-button guest/dirty.c
GUEST_OBJCOPY = $(OBJCOPY)

EXTRA_DIST += $(GUEST_SRCS)

# make demo's question: does the default guest run on this /dev/kvm?
noinst_PROGRAMS += guest/kvm-linux
guest_kvm_linux_SOURCES = guest/kvm-linux.c
guest_kvm_linux_LDADD = lib/libkvmhost.la
CLEANFILES += $(GUEST_VMLINUZ) $(GUEST_INITRD) $(GUEST_STAMP) \
	$(GUEST_PIN) $(GUEST_OUT)/VERSION $(GUEST_OUT)/guest.env \
	$(GUEST_OUT)/config
DISTCLEANFILES += $(GUEST_CACHE)/*.deb

.PHONY: guest guest-debian guest-refresh guest-pin-check guest-clean-cache

guest: guest-debian test-guests

# keel-dirty (guest/dirty.c), the load tests/bench/migrate runs in the
# guest: static, since the initramfs has no libc, and built with its own
# flags, not CFLAGS or the sanitizers (a static binary cannot carry
# ASan's runtime), as the in-tree test guests are.
GUEST_DIRTY = $(GUEST_OUT)/keel-dirty
$(GUEST_DIRTY): $(srcdir)/guest/dirty.c
	@$(MKDIR_P) $(GUEST_OUT)
	$(AM_V_CCLD)$(CC) -std=gnu11 $(WARN_CFLAGS) -O2 -static \
		-o $@ $(srcdir)/guest/dirty.c
CLEANFILES += $(GUEST_DIRTY)

# The stamp stands for the outputs; rebuild them if someone removed one.
guest-debian: $(GUEST_STAMP)
	@test -f $(GUEST_VMLINUZ) && test -f $(GUEST_INITRD) || { \
		rm -f $(GUEST_STAMP) && \
		$(MAKE) $(AM_MAKEFLAGS) $(GUEST_STAMP); }

# Rebuild when the scripts change or the pin does; never just because
# time passed, so a second `make guest` neither downloads nor asks apt.
$(GUEST_STAMP): $(GUEST_PIN) $(srcdir)/guest/mkguest.sh $(srcdir)/guest/init \
		$(srcdir)/guest/power-button $(GUEST_DIRTY)
	$(AM_V_GEN)OBJCOPY='$(GUEST_OBJCOPY)' $(SHELL) \
		$(srcdir)/guest/mkguest.sh -c $(GUEST_CACHE) -o $(GUEST_OUT) \
		-s $(srcdir)/guest -k "`cat $(GUEST_PIN)`" -x $(GUEST_DIRTY)
	@touch $@

# The pin file changes (and so triggers a rebuild) only when
# KEEL_GUEST_KERNEL does.
$(GUEST_PIN): guest-pin-check
	@$(MKDIR_P) $(GUEST_OUT)
	@echo '$(KEEL_GUEST_KERNEL)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

guest-pin-check:

guest-refresh:
	@rm -f $(GUEST_STAMP)
	@$(MAKE) $(AM_MAKEFLAGS) guest

# Drop every downloaded .deb (old kernels pile up after refreshes).
guest-clean-cache:
	rm -f $(GUEST_CACHE)/*.deb
