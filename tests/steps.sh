# Sourced by the shell suites (tests/c, tests/hostile, ...): named steps, counted for the
# suite's closing summary. A failing step is recorded and the suite goes on, so one run shows
# every failure.
failed=()
passed=0

step() {
  local name=$1; shift
  echo
  echo "--> $name"
  if "$@"; then
    echo "    passed: $name"
    passed=$((passed + 1))
  else
    echo "    FAILED: $name"
    failed+=("$name")
  fi
}
