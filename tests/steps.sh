# Sourced by the shell suites (tests/c, tests/hostile, ...): named steps, counted for the
# suite's closing summary. A failing step is recorded and the suite goes on, so one run shows
# every failure.
failed=()
passed=0

# Each step's time is printed with its outcome: the test command has a time budget.
step() {
  local name=$1; shift
  local started=$SECONDS
  echo
  echo "--> $name"
  if "$@"; then
    echo "    passed: $name ($((SECONDS - started)) s)"
    passed=$((passed + 1))
  else
    echo "    FAILED: $name ($((SECONDS - started)) s)"
    failed+=("$name")
  fi
}

# header_functions: shared with scripts/package.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# require_tools SUITE TOOL...: exits the suite, naming the first missing tool.
require_tools() {
  local suite=$1 tool
  shift
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$suite: $tool is missing (scripts/install-deps installs it)" >&2
      exit 1
    fi
  done
}

# build_for_target SUITE TARGET: the library for TARGET (debug) and the host's fake server, which
# the cross-built consumers talk to on loopback; exits the suite when either fails to build.
build_for_target() {
  local suite=$1 target=$2
  echo "--> building libmodio_market for $target and the fake server"
  if ! cargo build --locked -q -p modio-market-artifact --target "$target" || ! cargo build --locked -q -p fake-modio; then
    echo "FAILED: cargo build ($suite)"
    exit 1
  fi
  export FAKE_MODIO_BIN="$root/target/debug/fake-modio"
}
