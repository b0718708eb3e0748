# tests/install/: `make install DESTDIR=...` gives a working keel
# (check-install.in says what is checked). The script names installed
# paths, so it is made at make time, as data/local.mk makes its files.
INSTALL_TEST_EDIT = $(DATA_EDIT) \
	-e 's|@prefix[@]|$(prefix)|g' \
	-e 's|@libdir[@]|$(libdir)|g' \
	-e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@mandir[@]|$(mandir)|g' \
	-e 's|@systemdsystemunitdir[@]|$(systemdsystemunitdir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	-e 's|@PKG_CONFIG[@]|$(PKG_CONFIG)|g' \
	-e 's|@MAKE[@]|$(MAKE)|g' \
	-e 's|@CC[@]|$(CC)|g' \
	-e 's|@SAN_CFLAGS[@]|$(SAN_CFLAGS)|g' \
	-e 's|@SAN_LDFLAGS[@]|$(SAN_LDFLAGS)|g'

tests/install/check-install: $(srcdir)/tests/install/check-install.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/install && rm -f $@ $@.tmp && \
	$(INSTALL_TEST_EDIT) $(srcdir)/tests/install/check-install.in \
		>$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

check_SCRIPTS = tests/install/check-install
TESTS += tests/install/check-install
EXTRA_DIST += tests/install/check-install.in
CLEANFILES += tests/install/check-install

# What systemd does for keeld.service's Type=notify.
check_PROGRAMS += tests/install/notify_wait
tests_install_notify_wait_SOURCES = tests/install/notify_wait.c
