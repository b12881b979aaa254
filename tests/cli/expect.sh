# Shared by the CLI tests (source it after setting failures=0): run a command and check its output.
expect_output() {  # expect_output NAME PATTERN COMMAND...: succeeds, output matches PATTERN
  name=$1 pattern=$2
  shift 2
  if ! out=$("$@" 2>&1); then
    echo "FAIL $name: failed: $out"
    failures=$((failures + 1))
  elif ! printf '%s' "$out" | grep -q -- "$pattern"; then
    echo "FAIL $name: output [$out] lacks [$pattern]"
    failures=$((failures + 1))
  fi
}
expect_error() {  # expect_error NAME PATTERN COMMAND...: fails, message matches PATTERN
  name=$1 pattern=$2
  shift 2
  if out=$("$@" 2>&1); then
    echo "FAIL $name: succeeded: $out"
    failures=$((failures + 1))
  elif ! printf '%s' "$out" | grep -q -- "$pattern"; then
    echo "FAIL $name: message [$out] lacks [$pattern]"
    failures=$((failures + 1))
  fi
}
