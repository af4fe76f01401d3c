# Sourced by scripts/package and tests/steps.sh: what both the shipping scripts and the test
# suites read off the sources, defined once. Run from the repository root.

# The functions capi/include/modio_market.h declares, one per line, sorted: what every built
# library must export, and what the Windows .def lists.
header_functions() {
  grep -oE '\bmodio_market_[a-z0-9_]+\(' capi/include/modio_market.h | tr -d '(' | sort -u
}
