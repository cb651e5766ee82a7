// SPDX-License-Identifier: GPL-2.0-only
// What the autotuner may change: the live scheduler tunables of the flag table (tuning/flags.cpp),
// less those it must not touch, and the neighbouring values it tries around a current value.
#pragma once

#include "tuning/flags.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace scx_gamer::ml {

// Live flags never searched: verbose is tracing, not scheduling; bg-starve-us, bg-starve-count
// and bg-min-share-pct are the background's guarantees (against starvation, and of a share of
// every CPU), which the objective must not be able to trade away; no-wake-boost serves processes
// outside the game (the compositor), which the objective, measured on game threads, cannot see.
inline constexpr std::string_view kNeverSearched[] = {"verbose", "bg-starve-us", "bg-starve-count",
                                                      "bg-min-share-pct", "no-wake-boost"};

class SearchSpace {
  public:
    SearchSpace() = default;
    // Every live flag of the table except kNeverSearched and `pinned` (flags the user gave on the
    // command line or through ApplyFlags: theirs win, so searching them would measure nothing).
    static SearchSpace from_flag_table(std::span<const std::string> pinned = {});
    // Only the named flags (tests, and ml-train reading old data); throws FlagError for a name
    // that is not a live flag.
    static SearchSpace of(std::span<const std::string> names);

    const std::vector<const FlagSpec*>& dimensions() const { return dimensions_; }
    bool empty() const { return dimensions_.empty(); }

    // The value of every dimension in `options`, as flags (a full configuration).
    FlagValues values_of(const Options& options) const;

  private:
    std::vector<const FlagSpec*> dimensions_;
};

// The value one step from `value` in `direction` (+1 up, -1 down) for a numeric flag: value
// multiplied or divided by `step`, rounded to two significant digits and kept inside the flag's
// range (0 counts as the step below the minimum where the flag's 0 means "off"). For a switch the
// direction is ignored and the value flipped. nullopt when there is no such value (at a bound).
std::optional<std::string> neighbour(const FlagSpec& spec, const std::string& value, int direction,
                                     double step);

} // namespace scx_gamer::ml
