// SPDX-License-Identifier: GPL-2.0-only
// The command lines of the benchmark tools (and of the VM tests' load clients), parsed by CLI11
// the same way everywhere: --help prints and exits 0; a bad option is one line "TOOL: reason"
// on stderr and exit status 2.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

namespace bench {

inline constexpr int kExitUsage = 2;

// A number in [lo, hi]. Not CLI::Range, which lets "nan" through (every comparison with NaN is
// false).
inline CLI::Validator finite_range(double lo, double hi) {
    std::ostringstream range;
    range << "[" << lo << " - " << hi << "]";
    return CLI::Validator(
        [lo, hi, range = range.str()](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !std::isfinite(value))
                return text + " is not a finite number";
            if (value < lo || value > hi)
                return text + " is not in " + range;
            return {};
        },
        "in " + range.str());
}

// nullopt once the command line is parsed (main goes on); otherwise the status main returns.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
        return kExitUsage;
    }
    return std::nullopt;
}

} // namespace bench
