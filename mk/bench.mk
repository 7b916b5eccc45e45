# Benchmarks (not part of `make test`): `make bench` runs every scenario, about 15 minutes;
# `make bench BENCH_ARGS="--quick"` is a smoke run in under 2 minutes; `--only predict,batch`
# picks scenarios. The report goes to bench/results/report.md and report.json.
# Method and latest figures: docs/performance.md.

BENCH_ARGS ?=

bench: install ## Run the benchmarks (BENCH_ARGS="--quick", "--only predict", "--rounds 5")
	$(PY) -m bench $(BENCH_ARGS)
