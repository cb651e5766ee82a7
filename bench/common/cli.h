// The command lines of the benchmark tools (and of the VM tests' load clients), parsed by CLI11
// the same way everywhere: --help prints and exits 0; a bad option is one line "TOOL: reason"
// on stderr and exit status 2.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>

namespace bench {

inline constexpr int kExitUsage = 2;

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
