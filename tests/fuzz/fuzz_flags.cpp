// SPDX-License-Identifier: GPL-2.0-only
// parse_flags() over an argv: the input is the arguments separated by NUL bytes, as argv and
// /proc/PID/cmdline carry them (D-Bus strings cannot hold NUL either). Flags arrive from any
// local user over ApplyFlags and end up in /etc/default/scx, run by `bash -c`.
//
// Invariants:
//   - a rejection is a FlagError with a non-empty one-line message, never another exception;
//   - accepted flags round-trip: parse_flags(to_args(v)) == v;
//   - every accepted value is canonical: canonical_value(spec, value) == value;
//   - to_command_line() holds only characters that need no shell quoting;
//   - applying the flags to the defaults and diffing back yields them again (minus flags that
//     were given with their default value), and apply() of that diff gives the same Options.
#include "fuzz_check.h"
#include "tuning/flags.h"
#include "util/error.h"

#include <string>
#include <vector>

using namespace scx_gamer;
using fuzz::require;

namespace {

bool needs_no_quoting(std::string_view command_line) {
    for (const char c : command_line) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == ',' || c == '=' || c == ' ';
        if (!safe)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> args = fuzz::split(fuzz::as_text(data, size), '\0');
    FlagValues values;
    try {
        values = parse_flags(args);
    } catch (const FlagError& error) {
        const std::string_view message = error.what();
        require(!message.empty(), "a rejection says why");
        require(fuzz::is_one_line(message), "a rejection is one line", message);
        return 0;
    }

    for (const auto& [spec, value] : values.entries()) {
        require(spec != nullptr && find_flag(spec->name) == spec, "entries point into the table");
        require(canonical_value(*spec, value) == value, "stored values are canonical");
    }
    require(parse_flags(to_args(values)) == values, "parse_flags(to_args(v)) == v");
    const std::string command_line = to_command_line(values);
    require(needs_no_quoting(command_line), "to_command_line() needs no shell quoting");
    require(fuzz::split(command_line, ' ') == to_args(values), "command line splits into args");

    const Options options = apply(Options{}, values);
    const FlagValues changed = non_default_flags(options);
    for (const auto& [spec, value] : changed.entries()) {
        const std::string* given = values.find(spec->name);
        require(given != nullptr && *given == value, "only given flags differ from defaults");
    }
    require(apply(Options{}, changed) == options, "the non-default flags rebuild the Options");
    require((required_apply_mode(values) == ApplyMode::Unchanged) == values.empty(),
            "no flags, no change");
    (void)to_tunables(options);
    return 0;
}
