# libvirt/: keel-virtd, libvirt's RPC protocol for stock libvirt clients
# (docs/libvirt.md). Its XDR is keel's own virt_protocol.x, made into C
# by rpcgen at build time; libtirpc has the XDR primitives.
sbin_PROGRAMS += libvirt/keel-virtd

VIRT_GENERATED = libvirt/virt_protocol.h libvirt/virt_protocol.c
BUILT_SOURCES = $(VIRT_GENERATED)
CLEANFILES += $(VIRT_GENERATED)
EXTRA_DIST += libvirt/virt_protocol.x

# rpcgen names the header by the path it was given: keel's code includes
# it as "virt_protocol.h" from the build tree's libvirt/.
libvirt/virt_protocol.h: $(srcdir)/libvirt/virt_protocol.x
	$(AM_V_GEN)$(MKDIR_P) libvirt && rm -f $@ $@.tmp && \
	$(RPCGEN) -h $(srcdir)/libvirt/virt_protocol.x >$@.tmp && mv $@.tmp $@
libvirt/virt_protocol.c: $(srcdir)/libvirt/virt_protocol.x
	$(AM_V_GEN)$(MKDIR_P) libvirt && rm -f $@ $@.tmp && \
	$(RPCGEN) -c $(srcdir)/libvirt/virt_protocol.x | \
		sed 's|^#include ".*virt_protocol\.h"|#include "virt_protocol.h"|' \
		>$@.tmp && mv $@.tmp $@

# The generated encoders, with the warnings rpcgen's style sets off.
noinst_LTLIBRARIES += libvirt/libvirtproto.la
nodist_libvirt_libvirtproto_la_SOURCES = $(VIRT_GENERATED)
libvirt_libvirtproto_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/libvirt
libvirt_libvirtproto_la_CFLAGS = $(AM_CFLAGS) $(TIRPC_CFLAGS) \
	-Wno-unused-variable -Wno-missing-prototypes
libvirt_libvirtproto_la_LIBADD = $(TIRPC_LIBS)

# The protocol core every keel-virtd piece and the tests share: framing,
# the procedure table and its handlers, the maps of states and errors.
noinst_LTLIBRARIES += libvirt/libvirtcore.la
libvirt_libvirtcore_la_SOURCES = libvirt/virt_frame.c libvirt/virt_frame.h \
	libvirt/virt_procs.c libvirt/virt_procs.h libvirt/virt_handlers.h \
	libvirt/virt_conn.c libvirt/virt_caps.c libvirt/virt_domain.c \
	libvirt/virt_host.c libvirt/virt_host.h \
	libvirt/virt_params.c libvirt/virt_params.h \
	libvirt/virt_stats.c libvirt/virt_tune.c libvirt/virt_tune_cpu.c \
	libvirt/virt_state.c libvirt/virt_state.h \
	libvirt/virt_error.c libvirt/virt_error.h \
	libvirt/virt_server.c libvirt/virt_server.h libvirt/virt_xml.c \
	libvirt/virt_save.c libvirt/virt_migrate.c \
	libvirt/virt_tls.c libvirt/virt_tls.h \
	libvirt/virt_events.c libvirt/virt_events.h \
	libvirt/virt_cache.c libvirt/virt_cache.h \
	libvirt/virt_stream.c libvirt/virt_stream.h
VIRT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/libvirt \
	-I$(top_srcdir)/libvirt
VIRT_CFLAGS = $(AM_CFLAGS) $(TIRPC_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(LIBXML2_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) \
	$(OPENSSL_CFLAGS)
libvirt_libvirtcore_la_CPPFLAGS = $(VIRT_CPPFLAGS)
libvirt_libvirtcore_la_CFLAGS = $(VIRT_CFLAGS)
libvirt_libvirtcore_la_LIBADD = libvirt/libvirtproto.la libvirt/libdomxml.la \
	lib/libkeelclient.la $(TIRPC_LIBS) \
	$(JSONC_LIBS) $(LIBEVENT_LIBS) $(LIBXML2_LIBS) \
	$(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS) -lpthread

libvirt_keel_virtd_SOURCES = libvirt/main.c
libvirt_keel_virtd_CPPFLAGS = $(VIRT_CPPFLAGS)
libvirt_keel_virtd_CFLAGS = $(VIRT_CFLAGS)
libvirt_keel_virtd_LDADD = libvirt/libvirtcore.la
# Every object that includes the generated header waits for it.
$(libvirt_libvirtcore_la_OBJECTS) $(libvirt_keel_virtd_OBJECTS): \
	libvirt/virt_protocol.h

EXTRA_DIST += libvirt/domxml.h
