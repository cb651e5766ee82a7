// SPDX-License-Identifier: GPL-2.0-only
#include "ml/search_space.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace scx_gamer::ml {
namespace {

bool never_searched(std::string_view name) {
    return std::find(std::begin(kNeverSearched), std::end(kNeverSearched), name) !=
           std::end(kNeverSearched);
}

// 2828 -> 2800, 141 -> 140, 57 -> 57: profiles stay readable and steps do not creep.
uint64_t two_significant_digits(double value) {
    if (value < 100)
        return static_cast<uint64_t>(std::llround(value));
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)) - 1);
    return static_cast<uint64_t>(static_cast<double>(std::llround(value / magnitude)) * magnitude);
}

} // namespace

SearchSpace SearchSpace::from_flag_table(std::span<const std::string> pinned) {
    SearchSpace space;
    for (const FlagSpec& spec : flag_table()) {
        if (spec.flag_class != FlagClass::Live || never_searched(spec.name) ||
            spec.type() == FlagType::String)
            continue;
        if (std::find(pinned.begin(), pinned.end(), spec.name) != pinned.end())
            continue;
        space.dimensions_.push_back(&spec);
    }
    return space;
}

SearchSpace SearchSpace::of(std::span<const std::string> names) {
    SearchSpace space;
    for (const FlagSpec& spec : flag_table())
        if (std::find(names.begin(), names.end(), spec.name) != names.end())
            space.dimensions_.push_back(&spec);
    for (const std::string& name : names) {
        const FlagSpec* spec = find_flag(name);
        if (spec == nullptr || spec->flag_class != FlagClass::Live ||
            spec->type() == FlagType::String)
            throw FlagError("--" + name + ": not a live numeric or switch flag");
    }
    return space;
}

FlagValues SearchSpace::values_of(const Options& options) const {
    // non_default_flags() knows how to read any field; add the defaults it leaves out.
    const FlagValues differing = non_default_flags(options);
    FlagValues values;
    for (const FlagSpec* spec : dimensions_) {
        const std::string* given = differing.find(spec->name);
        values.set(spec->name, given ? *given : std::string(spec->default_value));
    }
    return values;
}

std::optional<std::string> neighbour(const FlagSpec& spec, const std::string& value, int direction,
                                     double step) {
    if (spec.type() == FlagType::Switch)
        return value == "true" ? "false" : "true";
    if (spec.type() != FlagType::Unsigned || step <= 1.0)
        return std::nullopt;
    const uint64_t current = std::stoull(value);
    uint64_t next = 0;
    if (direction > 0) {
        next = current == 0 ? std::max<uint64_t>(spec.min, 100)
                            : two_significant_digits(static_cast<double>(current) * step);
        next = std::min<uint64_t>(std::max<uint64_t>(next, spec.min), spec.max);
    } else {
        if (current == 0)
            return std::nullopt;
        next = two_significant_digits(static_cast<double>(current) / step);
        if (next < spec.min)
            next = current > spec.min ? spec.min : (spec.zero_disables ? 0 : spec.min);
    }
    if (next == current)
        return std::nullopt;
    return std::to_string(next);
}

} // namespace scx_gamer::ml
