// SPDX-License-Identifier: GPL-2.0-only
// The little statistics the learner needs to tell a real improvement from noise: running means
// and variances, and one-sided Student t critical values for small samples.
#pragma once

#include <cstddef>
#include <span>

namespace scx_gamer::ml {

// Mean and unbiased sample variance of a series (Welford's update: stable for long series).
class RunningStats {
  public:
    void add(double value);
    std::size_t count() const { return count_; }
    double mean() const { return mean_; }
    // Sample variance (n - 1 in the denominator); 0 with fewer than two values.
    double variance() const;
    // Standard error of the mean; 0 with fewer than two values.
    double standard_error() const;

  private:
    std::size_t count_ = 0;
    double mean_ = 0;
    double m2_ = 0;
};

RunningStats summarize(std::span<const double> values);

// Confidence levels the learner uses, as the one-sided tail probability alpha.
enum class OneSided { Alpha05, Alpha01 };

// The Student t quantile t(1 - alpha, df): a mean difference whose t statistic exceeds it is
// significant at that level. df >= 1; beyond the table, the normal quantile.
double t_critical(OneSided level, std::size_t degrees_of_freedom);

// Welch's t statistic for mean(a) - mean(b) (unequal variances) and its degrees of freedom
// (Welch-Satterthwaite, rounded down). Both need at least two values. A zero standard error
// gives +-infinity for a non-zero difference and 0 for none.
struct WelchResult {
    double t = 0;
    std::size_t degrees_of_freedom = 1;
    double standard_error = 0; // of the difference of the means
};
WelchResult welch(const RunningStats& a, const RunningStats& b);

} // namespace scx_gamer::ml
