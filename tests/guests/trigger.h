/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_GUESTS_TRIGGER_H
#define KEEL_TESTS_GUESTS_TRIGGER_H

/* What the trigger guest writes into its memory, and its reverse. */
#define TRIGGER_MARK "keel-trigger-guest-memory-0xc0ffee"
#define TRIGGER_MARK_REVERSED "eeff0cx0-yromem-tseug-reggirt-leek"

#endif
