dist_man_MANS += man/keel-hv.8
