# A short run of every fuzz target (make fuzz runs them longer).
cd "$(dirname "$0")/../.."
make --no-print-directory -s fuzz-targets >/dev/null || { echo "not ok - fuzz targets do not build"; exit 1; }
FUZZ_SECONDS=${FUZZ_SECONDS:-8} exec tests/fuzz/run-fuzz.sh
