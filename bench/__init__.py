"""duban's benchmarks (`make bench`)."""
