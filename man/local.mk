dist_man_MANS += man/keel-hv.8
dist_man_MANS += man/keeld.8 man/keel.cfg.5 man/libkeel.3
dist_man_MANS += man/keel.1
dist_man_MANS += man/keel-virtd.8
