# lib/: code shared by every keel program (and, later, libkeel itself).
noinst_LTLIBRARIES += lib/libkeelcommon.la
lib_libkeelcommon_la_SOURCES = lib/log.c lib/log.h
lib_libkeelcommon_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
lib_libkeelcommon_la_LIBADD = $(JSONC_LIBS) $(LIBEVENT_LIBS)
