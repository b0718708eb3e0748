# tests/: unit suites (one program per module, all sharing runner.c) and
# integration suites on real guests. Fragments elsewhere add their own
# check_<module> programs with $(UNIT_RUNNER) and $(UNIT_CFLAGS).
UNIT_RUNNER = tests/unit/runner.c tests/unit/runner.h
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
UNIT_LIBS = $(CHECK_LIBS)

# Print every suite's Check summary so a reader of the CI log sees how
# many tests ran, and a total in the plain "N passed, N failed" form.
check-local:
	@echo "=== test summary ==="
	@for f in $(TESTS:=.log); do \
		test -f "$$f" || continue; \
		grep -H -E '^(SKIP: |[0-9]+%: Checks:)' "$$f" || true; \
	done
