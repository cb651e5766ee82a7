// SPDX-License-Identifier: GPL-2.0-only
// What every benchmark tool's JSON report is made of: order statistics of its samples, and
// where the report goes.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace bench {

// Nearest-rank quantile of sorted samples: the smallest sample with at least q of all at or
// below it (p100 is the max); 0 when there are none.
template <typename T> double quantile(const std::vector<T>& sorted, double q) {
    if (sorted.empty())
        return 0;
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]);
}

// count, min, mean, p50, p90, p99 and max of samples given in any order.
inline nlohmann::json summary(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    double sum = 0;
    for (const double v : samples)
        sum += v;
    const bool none = samples.empty();
    return {{"count", samples.size()},
            {"min", none ? 0 : samples.front()},
            {"mean", none ? 0 : sum / static_cast<double>(samples.size())},
            {"p50", quantile(samples, 0.50)},
            {"p90", quantile(samples, 0.90)},
            {"p99", quantile(samples, 0.99)},
            {"max", none ? 0 : samples.back()}};
}

// Writes report to path ("-": stdout, which the JSON then owns; "": nowhere). False, after a
// one-line message naming tool, when the file cannot be written.
inline bool write_report(const nlohmann::json& report, const std::string& path, const char* tool) {
    if (path == "-") {
        std::cout << report.dump(1) << "\n";
    } else if (!path.empty()) {
        std::ofstream file(path);
        file << report.dump(1) << "\n";
        if (!file) {
            std::fprintf(stderr, "%s: cannot write %s\n", tool, path.c_str());
            return false;
        }
    }
    return true;
}

// Where the one-line human summary goes: stderr when the JSON has stdout.
inline std::FILE* human_output(const std::string& json_path) {
    return json_path == "-" ? stderr : stdout;
}

} // namespace bench
