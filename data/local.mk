# data/: what `make install` puts in place for the system beside the
# programs: keeld's sample configuration and its systemd unit. Both name
# installed paths, so they are made at make time from their .in files,
# when $(sbindir) and the rest are final: a --prefix, or a prefix= on
# make's command line, is honoured.
DATA_EDIT = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g'

data/keeld.conf: $(srcdir)/data/keeld.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && rm -f $@ $@.tmp && \
	$(DATA_EDIT) $(srcdir)/data/keeld.conf.in >$@.tmp && mv $@.tmp $@

data/keeld.service: $(srcdir)/data/keeld.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && rm -f $@ $@.tmp && \
	$(DATA_EDIT) $(srcdir)/data/keeld.service.in >$@.tmp && mv $@.tmp $@

data/keel-virtd.service: $(srcdir)/data/keel-virtd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && rm -f $@ $@.tmp && \
	$(DATA_EDIT) $(srcdir)/data/keel-virtd.service.in >$@.tmp && mv $@.tmp $@

EXTRA_DIST += data/keeld.conf.in data/keeld.service.in
CLEANFILES += data/keeld.conf data/keeld.service
EXTRA_DIST += data/keel-virtd.service.in
CLEANFILES += data/keel-virtd.service

# The sample configuration goes to SYSCONFDIR/keel/keeld.conf, the file
# keeld reads by default, but never over one that is there: that is the
# administrator's. `make uninstall` removes it only while it is still
# the sample.
keelconfdir = $(sysconfdir)/keel
noinst_DATA += data/keeld.conf

install-data-local: data/keeld.conf
	@$(MKDIR_P) '$(DESTDIR)$(keelconfdir)'
	@if test -f '$(DESTDIR)$(keelconfdir)/keeld.conf'; then \
		echo "Keeping $(DESTDIR)$(keelconfdir)/keeld.conf; the sample is $(abs_builddir)/data/keeld.conf."; \
	else \
		echo " $(INSTALL_DATA) data/keeld.conf '$(DESTDIR)$(keelconfdir)/keeld.conf'"; \
		$(INSTALL_DATA) data/keeld.conf '$(DESTDIR)$(keelconfdir)/keeld.conf'; \
	fi

uninstall-local:
	@if cmp -s data/keeld.conf '$(DESTDIR)$(keelconfdir)/keeld.conf'; then \
		echo " rm -f '$(DESTDIR)$(keelconfdir)/keeld.conf'"; \
		rm -f '$(DESTDIR)$(keelconfdir)/keeld.conf'; \
	fi
	@rmdir '$(DESTDIR)$(keelconfdir)' 2>/dev/null || :

# keeld.service, where systemd looks for units
# (--with-systemdsystemunitdir; =no leaves it out).
if HAVE_SYSTEMD
systemdsystemunit_DATA = data/keeld.service data/keel-virtd.service
else
noinst_DATA += data/keeld.service data/keel-virtd.service
endif

# keel-pki-init: a test CA and certificates for keeld over TLS
# (docs/remote.md), installed beside keeld.
dist_sbin_SCRIPTS = data/keel-pki-init
