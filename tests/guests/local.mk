# tests/guests/: the in-tree test guests, flat 64-bit binaries that
# keel-hv loads at 1 MiB (docs/guest.md, "Test guests"). Built by `make`
# and by `make guest` (target test-guests) as tests/guests/<name>.bin in
# the build tree; the integration tests run them.
#
# They are freestanding and use their own compiler flags, not CFLAGS,
# AM_CFLAGS or the sanitizers: user or distribution flags such as
# -fstack-protector or -fsanitize=address would break code with no libc
# and no runtime. Each guest is one gcc call over all its sources.
TESTGUEST_OBJCOPY = $(OBJCOPY)
TESTGUEST_CCFLAGS = -std=gnu11 $(WARN_CFLAGS) -O2 -g \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcf-protection=none \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-I$(srcdir)/tests/guests
TESTGUEST_LINKFLAGS = -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-T,$(srcdir)/tests/guests/guest.ld
TESTGUEST_LIB = $(srcdir)/tests/guests/crt0.S \
	$(srcdir)/tests/guests/machine.c \
	$(srcdir)/tests/guests/serial.c \
	$(srcdir)/tests/guests/string.c \
	$(srcdir)/tests/guests/clock.c
TESTGUEST_DEPS = $(TESTGUEST_LIB) $(srcdir)/tests/guests/guest.h \
	$(srcdir)/tests/guests/memsum.h $(srcdir)/tests/guests/guest.ld
TESTGUEST_BUILD = $(MKDIR_P) tests/guests && \
	$(CC) $(TESTGUEST_CCFLAGS) $(TESTGUEST_LINKFLAGS) $(TESTGUEST_LIB)
TESTGUEST_BINS = tests/guests/hello.bin tests/guests/memsum.bin \
	tests/guests/echo.bin tests/guests/dirty.bin \
	tests/guests/reboot.bin tests/guests/crash.bin \
	tests/guests/chatty.bin tests/guests/trigger.bin

noinst_DATA += $(TESTGUEST_BINS)
CLEANFILES += $(TESTGUEST_BINS) $(TESTGUEST_BINS:.bin=.elf)
EXTRA_DIST += tests/guests/crt0.S tests/guests/machine.c \
	tests/guests/serial.c tests/guests/string.c tests/guests/clock.c \
	tests/guests/guest.h tests/guests/memsum.h tests/guests/guest.ld \
	tests/guests/hello.c tests/guests/memsum.c tests/guests/echo.c \
	tests/guests/dirty.c tests/guests/reboot.c tests/guests/crash.c \
	tests/guests/chatty.c tests/guests/trigger.c tests/guests/trigger.h

.PHONY: test-guests
test-guests: $(TESTGUEST_BINS)

tests/guests/hello.bin: $(srcdir)/tests/guests/hello.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/hello.c \
		-o tests/guests/hello.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/hello.elf $@

tests/guests/memsum.bin: $(srcdir)/tests/guests/memsum.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/memsum.c \
		-o tests/guests/memsum.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/memsum.elf $@

tests/guests/echo.bin: $(srcdir)/tests/guests/echo.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/echo.c \
		-o tests/guests/echo.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/echo.elf $@

tests/guests/dirty.bin: $(srcdir)/tests/guests/dirty.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/dirty.c \
		-o tests/guests/dirty.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/dirty.elf $@

tests/guests/reboot.bin: $(srcdir)/tests/guests/reboot.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/reboot.c \
		-o tests/guests/reboot.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/reboot.elf $@

tests/guests/crash.bin: $(srcdir)/tests/guests/crash.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/crash.c \
		-o tests/guests/crash.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/crash.elf $@

tests/guests/chatty.bin: $(srcdir)/tests/guests/chatty.c $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/chatty.c \
		-o tests/guests/chatty.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/chatty.elf $@

tests/guests/trigger.bin: $(srcdir)/tests/guests/trigger.c \
		$(srcdir)/tests/guests/trigger.h $(TESTGUEST_DEPS)
	$(AM_V_CCLD)$(TESTGUEST_BUILD) $(srcdir)/tests/guests/trigger.c \
		-o tests/guests/trigger.elf
	$(AM_V_GEN)$(TESTGUEST_OBJCOPY) -O binary tests/guests/trigger.elf $@
