// SPDX-License-Identifier: GPL-2.0-only
// Self-checks of the benchmark's measuring instruments (no framework: a failed check prints and
// exits 1). The histogram must bound its error and order its quantiles; the work loop must scale
// linearly with the units asked for, or calibration would mean nothing. That last check times
// the loop, so it is asserted only with --timed (on a quiet machine, before a benchmark run): the
// ctest run only prints the ratio, since a loaded CI machine can stretch either timing.
#include "common/histogram.h"
#include "common/work.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <string_view>
#include <vector>

namespace {
int failures = 0;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

void test_bucket_bounds() {
    using bench::Histogram;
    // Every value maps to a bucket whose upper edge is >= the value and within 1/128 of it.
    for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 511ull, 512ull, 1000ull, 123456ull,
                       999999999ull, (1ull << 43) + 12345}) {
        const unsigned i = Histogram::index_of(v);
        CHECK(i < Histogram::kBuckets);
        const uint64_t up = Histogram::upper_of(i);
        CHECK(up >= v);
        CHECK(static_cast<double>(up - v) <= static_cast<double>(v) / 128.0 + 1e-9);
        if (i > 0)
            CHECK(Histogram::upper_of(i - 1) < v);
    }
    // Bucket edges are strictly increasing.
    for (unsigned i = 1; i < Histogram::kBuckets; i++)
        CHECK(Histogram::upper_of(i) > Histogram::upper_of(i - 1));
}

void test_quantiles_against_sort() {
    bench::Histogram h;
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(11.0, 1.5); // ~60 us median, long tail
    std::vector<uint64_t> v;
    for (int i = 0; i < 100000; i++) {
        const auto x = static_cast<uint64_t>(dist(rng));
        v.push_back(x);
        h.record(x);
    }
    std::sort(v.begin(), v.end());
    CHECK(h.count() == v.size());
    CHECK(h.min() == v.front());
    CHECK(h.max() == v.back());
    CHECK(h.quantile(1.0) == v.back());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const uint64_t exact = v[static_cast<size_t>(std::ceil(q * v.size())) - 1];
        const uint64_t got = h.quantile(q);
        CHECK(got >= exact);
        CHECK(static_cast<double>(got - exact) <= static_cast<double>(exact) / 128.0 + 1);
    }
    CHECK(h.quantile(0.5) <= h.quantile(0.9));
    CHECK(h.quantile(0.9) <= h.quantile(0.99));
    bench::Histogram h2;
    h2.merge(h);
    CHECK(h2.count() == h.count() && h2.quantile(0.99) == h.quantile(0.99));
    uint64_t total = 0;
    for (const auto& [up, n] : h.buckets())
        total += n;
    CHECK(total == h.count());
}

void test_work_scales(bool timed) {
    // 4x the units must take about 4x as long (allowing for noise on a shared machine).
    auto time_units = [](uint64_t u) {
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 5; i++) {
            const uint64_t t0 = bench::now_ns();
            volatile uint64_t s = bench::spin_units(u, 7);
            (void)s;
            best = std::min(best, bench::now_ns() - t0);
        }
        return static_cast<double>(best);
    };
    const double t1 = time_units(200000), t4 = time_units(800000);
    const double ratio = t4 / t1;
    std::printf("work scaling: 4x units took %.2fx the time\n", ratio);
    if (timed)
        CHECK(ratio > 3.0 && ratio < 5.5);
    const bench::Calibration c = bench::calibrate(5, 5000);
    std::printf("calibration: %.1f units/us (spread %.1f%%)\n", c.units_per_us, c.spread_pct);
    CHECK(c.units_per_us > 0 && c.min_units_per_us <= c.units_per_us &&
          c.units_per_us <= c.max_units_per_us);
}
} // namespace

int main(int argc, char** argv) {
    const bool timed = argc > 1 && std::string_view(argv[1]) == "--timed";
    if (argc > 1 && !timed) {
        std::fprintf(stderr, "usage: bench_selftest [--timed]\n");
        return 2;
    }
    test_bucket_bounds();
    test_quantiles_against_sort();
    test_work_scales(timed);
    std::printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
