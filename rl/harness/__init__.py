"""Entry points that run the methods: training (`train`), evaluation on held-out seeds
(`evaluate`), decision-time benches (`bench`, Table 3) and training benches (`bench_train`)."""
