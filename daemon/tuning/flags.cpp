// SPDX-License-Identifier: GPL-2.0-only
// Over 400 lines on purpose: most of it is the flag table, the one source of every flag's name,
// range, class and help text; the rest parses, canonicalises and converts what the table says.
#include "tuning/flags.h"

#include "tuning/cpu_list.h"
#include "util/error.h"
#include "util/text.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace scx_gamer {
namespace {

std::string canonical_primary_domain(std::string_view value);

// THE flag table. Defaults are sane for a desktop running a game; the original scx_gamer's 10 µs
// slice was not (a context switch every 10 µs is all overhead).
constexpr std::array kFlags{
    FlagSpec{.name = "slice-us",
             .short_name = 's',
             .field = &Options::slice_us,
             .flag_class = FlagClass::Live,
             .default_value = "2000",
             .min = 100,
             .max = 100'000,
             .value_name = "N",
             .unit = "us",
             .help = "Time slice of background (non-game) tasks"},
    FlagSpec{.name = "game-slice-us",
             .field = &Options::game_slice_us,
             .flag_class = FlagClass::Live,
             .default_value = "1000",
             .min = 50,
             .max = 20'000,
             .value_name = "N",
             .unit = "us",
             .help = "Time slice of game threads (short: they run briefly and often)"},
    FlagSpec{.name = "slice-lag-us",
             .short_name = 'l',
             .field = &Options::slice_lag_us,
             .flag_class = FlagClass::Live,
             .default_value = "20000",
             .min = 0,
             .max = 1'000'000,
             .value_name = "N",
             .unit = "us",
             .help = "Cap on the vruntime credit a sleeping task keeps"},
    FlagSpec{.name = "mm-affinity",
             .short_name = 'a',
             .field = &Options::mm_affinity,
             .flag_class = FlagClass::Live,
             .default_value = "false",
             .help = "Keep a sync wakee on the waker's CPU when both share an address space"},
    FlagSpec{.name = "wakeup-timer-us",
             .short_name = 'w',
             .field = &Options::wakeup_timer_us,
             .flag_class = FlagClass::Live,
             .default_value = "1000",
             .min = 250,
             .max = 1'000'000,
             .zero_disables = true,
             .value_name = "N",
             .unit = "us",
             .help = "Period of the timer that kicks idle CPUs with queued work"},
    FlagSpec{.name = "avoid-smt",
             .short_name = 'S',
             .field = &Options::avoid_smt,
             .flag_class = FlagClass::Live,
             .default_value = "false",
             .help = "Prefer fully idle cores (no busy SMT sibling) for game threads"},
    FlagSpec{.name = "bg-starve-us",
             .field = &Options::bg_starve_us,
             .flag_class = FlagClass::Live,
             .default_value = "50000",
             .min = 1000,
             .max = 1'000'000,
             .value_name = "N",
             .unit = "us",
             .help = "Longest a waiting background task may be passed over by game threads"},
    // The same guard counted in game threads: short game runs pass a waiting task over many
    // times within one --bg-starve-us. Off by default: a dispatch count cannot tell real work
    // from a game's workers spinning on sched_yield(), where every yield counts, and then any
    // fixed count hands background work a slice every few hundred yields, far more than its
    // floor (--bg-min-share-pct), which with the clock already bounds the wait. 16 at least, so
    // that it never undercuts game preemption for the few threads a game wakes per frame.
    FlagSpec{.name = "bg-starve-count",
             .field = &Options::bg_starve_count,
             .flag_class = FlagClass::Live,
             .default_value = "0",
             .min = 16,
             .max = 100'000,
             .zero_disables = true,
             .value_name = "N",
             .help = "Most game threads a CPU runs in a row while a background task waits"},
    // The floor for everything that is not a game (docs/scheduler.md): anyone can make a process
    // look like a game, so games must not be able to take a whole CPU. 5%, as the kernel's RT
    // throttling leaves; 50 at most, so that no profile can hand games less than half.
    FlagSpec{.name = "bg-min-share-pct",
             .field = &Options::bg_min_share_pct,
             .flag_class = FlagClass::Live,
             .default_value = "5",
             .min = 1,
             .max = 50,
             .zero_disables = true,
             .value_name = "N",
             .unit = "%",
             .help = "Minimum share of each CPU that background (non-game) tasks keep while "
                     "they wait"},
    FlagSpec{.name = "no-game-preempt",
             .field = &Options::no_game_preempt,
             .flag_class = FlagClass::Live,
             .default_value = "false",
             .help = "Do not preempt background work on a CPU when a game thread wakes up"},
    FlagSpec{.name = "no-wake-boost",
             .field = &Options::no_wake_boost,
             .flag_class = FlagClass::Live,
             .default_value = "false",
             .help = "Queue a task a game thread wakes (the compositor, a helper process) as "
                     "background work instead of running it as urgent until it sleeps again or "
                     "has run for one --slice-us"},
    FlagSpec{.name = "primary-domain",
             .short_name = 'm',
             .field = &Options::primary_domain,
             .flag_class = FlagClass::Reload,
             .default_value = "all",
             .canonicalize = &canonical_primary_domain,
             .value_name = "SPEC",
             .help = "CPUs to use first: all, performance (fastest cores), powersave (slowest "
                     "cores) or a CPU list such as 0-3,6"},
    FlagSpec{.name = "stats",
             .field = &Options::stats_secs,
             .flag_class = FlagClass::Daemon,
             .default_value = "0",
             .min = 0,
             .max = 3600,
             .accepts_fraction = true,
             .value_name = "SECS",
             .unit = "s",
             .help = "Log scheduler statistics every SECS seconds (0 = off)"},
    // Live because it maps onto gamer_tunables.verbose; the daemon also logs debug messages.
    FlagSpec{.name = "verbose",
             .short_name = 'v',
             .field = &Options::verbose,
             .flag_class = FlagClass::Live,
             .default_value = "false",
             .help = "Debug messages from the daemon and tracing from the scheduler"},
    FlagSpec{.name = "exit-dump-len",
             .field = &Options::exit_dump_len,
             .flag_class = FlagClass::Reload,
             .default_value = "32768",
             .min = 0,
             .max = 1'048'576,
             .value_name = "N",
             .unit = "bytes",
             .help = "Size of the debug dump the kernel keeps if it unloads the scheduler"},
};

// Characters a --primary-domain value may contain; anything else could be shell syntax.
constexpr std::string_view kDomainChars = "abcdefghijklmnopqrstuvwxyz0123456789,-";
constexpr std::string_view kDigits = "0123456789";
// Longer than any number in the table; longer input is reported cut short.
constexpr std::size_t kMaxDigitsShown = 20;

template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>; // clang < 17 needs the guide

std::string canonical_primary_domain(std::string_view value) {
    if (value.find_first_not_of(kDomainChars) != std::string_view::npos)
        throw FlagError(quote_for_message(value) + " may only contain a-z, 0-9, ',' and '-'");
    if (value == "all" || value == "performance" || value == "powersave")
        return std::string(value);
    // The original scx_gamer's "turbo" (its fastest cores) is our "performance".
    if (value == "turbo")
        return "performance";
    if (value.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string_view::npos)
        throw FlagError(quote_for_message(value) +
                        " is not all, performance, powersave, turbo or a CPU list");
    return format_cpu_list(parse_cpu_list(value));
}

std::string explain_bad_switch(std::string_view value) {
    return quote_for_message(value) +
           " is not a switch value (give the flag alone, or =true/=false)";
}

// The unit as a warning spells it: "seconds" rather than "s".
std::string unit_words(const FlagSpec& spec) {
    if (spec.unit == "s")
        return "seconds";
    if (spec.unit == "us")
        return "microseconds";
    return std::string(spec.unit);
}

// For a flag that accepts fractions: "1.0" becomes "1" and "0.5" becomes "1" (rounded up).
// Returns "" and rewrites `value` to whole digits, or returns why the value is rejected.
// `rounded` is set when the value was not whole.
std::string whole_from_fraction(const FlagSpec& spec, std::string& value, bool& rounded) {
    const auto dot = value.find('.');
    if (!spec.accepts_fraction || dot == std::string::npos)
        return {};
    const std::string whole = value.substr(0, dot);
    const std::string fraction = value.substr(dot + 1);
    if (whole.empty() || fraction.empty() ||
        whole.find_first_not_of(kDigits) != std::string::npos ||
        fraction.find_first_not_of(kDigits) != std::string::npos)
        return quote_for_message(value) + " is not a number";
    rounded = fraction.find_first_not_of('0') != std::string::npos;
    if (!rounded) {
        value = whole;
        return {};
    }
    // Rounded up by one: a trailing carry turns "9.5" into "10", "99.5" into "100".
    std::string up = whole;
    auto digit = up.rbegin();
    for (; digit != up.rend() && *digit == '9'; ++digit)
        *digit = '0';
    if (digit == up.rend())
        up.insert(up.begin(), '1');
    else
        ++*digit;
    value = up;
    return {};
}

// Returns "" and canonicalizes `value`, or returns why the value is rejected. With
// BelowMinimum::Raise, a value below the minimum becomes the minimum, a fraction is rounded up,
// and each change adds one line to policy.warnings.
std::string explain_unsigned(const FlagSpec& spec, std::string& value, const ParsePolicy& policy) {
    const bool raise = policy.below_minimum == BelowMinimum::Raise;
    const std::string given = value;
    bool rounded = false;
    if (auto why = whole_from_fraction(spec, value, rounded); !why.empty())
        return why;
    if (rounded && !raise)
        return quote_for_message(given) + " is not a whole number of " + unit_words(spec);
    if (value.find_first_not_of(kDigits) != std::string::npos)
        return quote_for_message(value) + " is not a whole number";

    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    const bool too_big = error == std::errc::result_out_of_range;
    const bool off = spec.zero_disables && number == 0;
    if (raise && !too_big && !off && number < spec.min) {
        if (policy.warnings != nullptr)
            policy.warnings->push_back(spec.long_flag() + " " + given + " is below the minimum " +
                                       std::to_string(spec.min) + "; using " +
                                       std::to_string(spec.min));
        value = std::to_string(spec.min);
        return {};
    }
    const bool in_range = !too_big && ((number >= spec.min && number <= spec.max) || off);
    if (!in_range) {
        std::string shown = rounded   ? given
                            : too_big ? value.substr(value.find_first_not_of('0'))
                                      : std::to_string(number);
        if (shown.size() > kMaxDigitsShown)
            shown = shown.substr(0, kMaxDigitsShown) + "...";
        return shown + " is out of range [" + std::to_string(spec.min) + ", " +
               std::to_string(spec.max) + "]" + (spec.zero_disables ? " (or 0 to disable)" : "");
    }
    if (rounded && policy.warnings != nullptr)
        policy.warnings->push_back(spec.long_flag() + " " + given + " is not a whole number of " +
                                   unit_words(spec) + "; using " + std::to_string(number));
    value = std::to_string(number);
    return {};
}

std::string explain_invalid(const FlagSpec& spec, std::string& value,
                            const ParsePolicy& policy = {}) {
    if (value.size() > kMaxFlagValueLength)
        return "value is too long (" + std::to_string(value.size()) + " characters, at most " +
               std::to_string(kMaxFlagValueLength) + ")";
    switch (spec.type()) {
    case FlagType::Switch:
        return value == "true" || value == "false" ? std::string{} : explain_bad_switch(value);
    case FlagType::Unsigned:
        if (value.empty())
            return "needs a number";
        return explain_unsigned(spec, value, policy);
    case FlagType::String:
        if (value.empty())
            return "needs a value";
        try {
            value = spec.canonicalize(value);
            return {};
        } catch (const FlagError& error) {
            return error.what();
        }
    }
    return "unsupported flag type";
}

std::size_t table_index(const FlagSpec& spec) {
    return static_cast<std::size_t>(&spec - kFlags.data());
}

const FlagSpec& spec_or_throw(std::string_view name) {
    const FlagSpec* spec = find_flag(name);
    if (spec == nullptr)
        throw FlagError("unknown flag " + quote_for_message("--" + std::string(name)));
    return *spec;
}

// Sets the field of `spec` from a canonical value.
void assign(const FlagSpec& spec, Options& options, const std::string& value) {
    std::visit(Overloaded{
                   [&](bool Options::*field) { options.*field = value == "true"; },
                   [&](std::uint32_t Options::*field) {
                       options.*field = static_cast<std::uint32_t>(std::stoul(value));
                   },
                   [&](std::string Options::*field) { options.*field = value; },
               },
               spec.field);
}

// The canonical text of the field of `spec`.
std::string value_text(const FlagSpec& spec, const Options& options) {
    return std::visit(
        Overloaded{
            [&](bool Options::*field) -> std::string { return options.*field ? "true" : "false"; },
            [&](std::uint32_t Options::*field) -> std::string {
                return std::to_string(options.*field);
            },
            [&](std::string Options::*field) -> std::string { return options.*field; },
        },
        spec.field);
}

std::string names_of(const FlagSpec& spec) {
    std::string names;
    if (spec.short_name != '\0')
        names = std::string("-") + spec.short_name + ",";
    return names + spec.long_flag();
}

std::string group_of(FlagClass flag_class) {
    switch (flag_class) {
    case FlagClass::Live:
        return "Scheduler tunables (applied live)";
    case FlagClass::Reload:
        return "Scheduler options (changing them re-attaches the scheduler)";
    case FlagClass::Daemon:
        return "Daemon options";
    }
    return "Options";
}

std::string_view class_tag(FlagClass flag_class) {
    switch (flag_class) {
    case FlagClass::Live:
        return "live";
    case FlagClass::Reload:
        return "reload";
    case FlagClass::Daemon:
        return "daemon";
    }
    return "";
}

// CLI11 reports "--slice-us: 1 required N missing" when a value is missing; say it plainly.
std::string one_line_parse_error(const CLI::ParseError& error) {
    std::string message = error.what();
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
        const auto colon = message.find(": ");
        if (message.starts_with("-") && colon != std::string::npos)
            return message.substr(0, colon) + ": needs a value";
    }
    std::replace_if(
        message.begin(), message.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return message;
}

std::string explain_leftover(const std::string& argument) {
    if (argument.starts_with("-") && argument != "-" && argument != "--")
        return "unknown flag " + quote_for_message(argument.substr(0, argument.find('=')));
    return "unexpected argument " + quote_for_message(argument) +
           " (only flags such as --slice-us 2000 are accepted)";
}

constexpr std::uint64_t us_to_ns(std::uint32_t us) {
    return std::uint64_t{us} * 1000;
}

} // namespace

Options::Options() {
    for (const auto& spec : kFlags)
        assign(spec, *this, std::string(spec.default_value));
}

std::span<const FlagSpec> flag_table() {
    return kFlags;
}

const FlagSpec* find_flag(std::string_view name) {
    const auto it = std::find_if(kFlags.begin(), kFlags.end(),
                                 [&](const FlagSpec& spec) { return spec.name == name; });
    return it == kFlags.end() ? nullptr : &*it;
}

std::string canonical_value(const FlagSpec& spec, std::string_view value) {
    std::string canonical(value);
    if (const auto why = explain_invalid(spec, canonical); !why.empty())
        throw FlagError(spec.long_flag() + ": " + why);
    return canonical;
}

void FlagValues::set(std::string_view name, std::string_view value) {
    const FlagSpec& spec = spec_or_throw(name);
    std::string canonical = canonical_value(spec, value);
    const auto position = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& entry) {
        return table_index(*entry.spec) >= table_index(spec);
    });
    if (position != entries_.end() && position->spec == &spec)
        position->value = std::move(canonical);
    else
        entries_.insert(position, Entry{&spec, std::move(canonical)});
}

const std::string* FlagValues::find(std::string_view name) const {
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& entry) { return entry.spec->name == name; });
    return it == entries_.end() ? nullptr : &it->value;
}

void FlagValues::merge(const FlagValues& later) {
    for (const auto& entry : later.entries_)
        set(entry.spec->name, entry.value);
}

FlagValues parse_flags(std::span<const std::string> args, const ParsePolicy& policy) {
    if (args.size() > kMaxFlagArgs)
        throw FlagError("too many arguments (" + std::to_string(args.size()) + ", at most " +
                        std::to_string(kMaxFlagArgs) + ")");

    CLI::App app{"scx_gamer profile flags"};
    app.set_help_flag(); // --help is the daemon's, not a profile flag
    app.allow_extras();  // collected below to report them in our words
    add_flags(app, policy);

    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 wants them reversed
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& error) {
        throw FlagError(one_line_parse_error(error));
    }
    if (const auto leftover = app.remaining(); !leftover.empty())
        throw FlagError(explain_leftover(leftover.front()));
    return given_flags(app);
}

Options apply(Options base, const FlagValues& values) {
    for (const auto& entry : values.entries())
        assign(*entry.spec, base, entry.value);
    return base;
}

std::vector<std::string> to_args(const FlagValues& values) {
    std::vector<std::string> args;
    for (const auto& [spec, value] : values.entries()) {
        if (spec->type() != FlagType::Switch) {
            args.push_back(spec->long_flag());
            args.push_back(value);
        } else if (value == "true") {
            args.push_back(spec->long_flag());
        } else {
            args.push_back(spec->long_flag() + "=false");
        }
    }
    return args;
}

std::string to_command_line(const FlagValues& values) {
    std::string line;
    for (const auto& arg : to_args(values)) {
        if (!line.empty())
            line += ' ';
        line += arg;
    }
    return line;
}

FlagValues diff(const Options& from, const Options& to) {
    FlagValues changes;
    for (const auto& spec : kFlags) {
        const auto new_value = value_text(spec, to);
        if (value_text(spec, from) != new_value)
            changes.set(spec.name, new_value);
    }
    return changes;
}

FlagValues non_default_flags(const Options& options) {
    return diff(Options{}, options);
}

ApplyMode required_apply_mode(const FlagValues& changes) {
    if (changes.empty())
        return ApplyMode::Unchanged;
    const bool reload =
        std::any_of(changes.entries().begin(), changes.entries().end(),
                    [](const auto& entry) { return entry.spec->flag_class == FlagClass::Reload; });
    return reload ? ApplyMode::Reload : ApplyMode::Live;
}

gamer_tunables to_tunables(const Options& options) {
    gamer_tunables tunables{};
    tunables.slice_ns = us_to_ns(options.slice_us);
    tunables.game_slice_ns = us_to_ns(options.game_slice_us);
    tunables.slice_lag_ns = us_to_ns(options.slice_lag_us);
    tunables.wakeup_timer_ns = us_to_ns(options.wakeup_timer_us);
    tunables.bg_starve_ns = us_to_ns(options.bg_starve_us);
    tunables.bg_min_share_pct = options.bg_min_share_pct;
    tunables.bg_starve_count = options.bg_starve_count;
    tunables.mm_affinity = options.mm_affinity;
    tunables.avoid_smt = options.avoid_smt;
    tunables.game_preempt = !options.no_game_preempt;
    tunables.wake_boost = !options.no_wake_boost;
    tunables.verbose = options.verbose;
    return tunables;
}

void add_flags(CLI::App& app, const ParsePolicy& policy) {
    for (const auto& spec : kFlags) {
        CLI::Option* option = nullptr;
        if (spec.type() == FlagType::Switch) {
            option = app.add_flag(names_of(spec));
        } else {
            option = app.add_option(names_of(spec))
                         ->type_name(std::string(spec.value_name))
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        }
        option->description(describe_flag(spec))->group(group_of(spec.flag_class));
        // A transform, not a check: it also rewrites the value into its canonical form.
        const FlagSpec* table_entry = &spec;
        option->transform(CLI::Validator(
            [table_entry, policy](std::string& value) {
                return explain_invalid(*table_entry, value, policy);
            },
            ""));
    }
}

FlagValues given_flags(const CLI::App& app) {
    FlagValues values;
    for (const auto& spec : kFlags) {
        const CLI::Option* option = app.get_option(spec.long_flag());
        if (option->count() > 0)
            values.set(spec.name, option->results().back());
    }
    return values;
}

std::string describe_flag(const FlagSpec& spec) {
    std::string text(spec.help);
    switch (spec.type()) {
    case FlagType::Switch:
        return text + ".";
    case FlagType::Unsigned:
        text += ". Range " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
        if (!spec.unit.empty())
            text += " " + std::string(spec.unit);
        if (spec.zero_disables)
            text += ", or 0 to disable";
        break;
    case FlagType::String:
        break;
    }
    return text + "; default " + std::string(spec.default_value) + ".";
}

std::string flags_help() {
    std::vector<std::string> synopses;
    std::size_t width = 0;
    for (const auto& spec : kFlags) {
        std::string synopsis = spec.short_name != '\0' ? std::string("-") + spec.short_name + ", "
                                                       : std::string("    ");
        synopsis += spec.long_flag();
        if (spec.type() != FlagType::Switch)
            synopsis += " " + std::string(spec.value_name);
        width = std::max(width, synopsis.size());
        synopses.push_back(std::move(synopsis));
    }
    std::string text;
    for (std::size_t i = 0; i < kFlags.size(); ++i) {
        text += "  " + synopses[i] + std::string(width - synopses[i].size() + 2, ' ');
        text += "[" + std::string(class_tag(kFlags[i].flag_class)) + "] ";
        text += describe_flag(kFlags[i]) + "\n";
    }
    return text;
}

} // namespace scx_gamer
