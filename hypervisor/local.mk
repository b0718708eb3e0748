sbin_PROGRAMS += hypervisor/keel-hv
hypervisor_keel_hv_SOURCES = hypervisor/main.c
