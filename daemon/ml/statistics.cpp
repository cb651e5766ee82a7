// SPDX-License-Identifier: GPL-2.0-only
#include "ml/statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace scx_gamer::ml {
namespace {

// One-sided Student t quantiles for df = 1..30 (standard tables).
constexpr std::array<double, 30> kT95 = {6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860,
                                         1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746,
                                         1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711,
                                         1.708, 1.706, 1.703, 1.701, 1.699, 1.697};
constexpr std::array<double, 30> kT99 = {31.821, 6.965, 4.541, 3.747, 3.365, 3.143, 2.998, 2.896,
                                         2.821,  2.764, 2.718, 2.681, 2.650, 2.624, 2.602, 2.583,
                                         2.567,  2.552, 2.539, 2.528, 2.518, 2.508, 2.500, 2.492,
                                         2.485,  2.479, 2.473, 2.467, 2.462, 2.457};
constexpr double kZ95 = 1.645;
constexpr double kZ99 = 2.326;

} // namespace

void RunningStats::add(double value) {
    count_++;
    const double delta = value - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (value - mean_);
}

double RunningStats::variance() const {
    return count_ < 2 ? 0.0 : m2_ / static_cast<double>(count_ - 1);
}

double RunningStats::standard_error() const {
    return count_ < 2 ? 0.0 : std::sqrt(variance() / static_cast<double>(count_));
}

RunningStats summarize(std::span<const double> values) {
    RunningStats stats;
    for (double value : values)
        stats.add(value);
    return stats;
}

double t_critical(OneSided level, std::size_t degrees_of_freedom) {
    const std::size_t df = std::max<std::size_t>(degrees_of_freedom, 1);
    const auto& table = level == OneSided::Alpha05 ? kT95 : kT99;
    if (df <= table.size())
        return table[df - 1];
    return level == OneSided::Alpha05 ? kZ95 : kZ99;
}

WelchResult welch(const RunningStats& a, const RunningStats& b) {
    const double va = a.variance() / static_cast<double>(std::max<std::size_t>(a.count(), 1));
    const double vb = b.variance() / static_cast<double>(std::max<std::size_t>(b.count(), 1));
    const double difference = a.mean() - b.mean();
    WelchResult result;
    const double se = std::sqrt(va + vb);
    result.standard_error = se;
    if (se == 0) {
        result.t = difference == 0
                       ? 0.0
                       : std::copysign(std::numeric_limits<double>::infinity(), difference);
        result.degrees_of_freedom = a.count() + b.count() - 2;
        return result;
    }
    result.t = difference / se;
    const double denominator =
        (a.count() > 1 ? va * va / static_cast<double>(a.count() - 1) : 0.0) +
        (b.count() > 1 ? vb * vb / static_cast<double>(b.count() - 1) : 0.0);
    const double df = denominator > 0 ? (va + vb) * (va + vb) / denominator : 1.0;
    result.degrees_of_freedom = static_cast<std::size_t>(std::max(1.0, std::floor(df)));
    return result;
}

} // namespace scx_gamer::ml
