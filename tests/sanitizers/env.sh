# Sourced by the scripts that run sanitizer builds (scripts/test.sh, scripts/fuzz.sh): stop at the
# first report, and suppress leak reports that come from third-party code only (lsan.supp).
sanitizers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$sanitizers_dir/lsan.supp:print_suppressions=0"
