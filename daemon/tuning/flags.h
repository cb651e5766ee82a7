// SPDX-License-Identifier: GPL-2.0-only
// scx_gamer's flags: ONE table (flag_table() in flags.cpp) from which everything else derives —
// the daemon's command line and --help, D-Bus ApplyFlags, scxgamerctl, profiles read from
// scx_loader's TOML arrays and the install scripts' validation.
//
// Three kinds of values move through this API:
//   FlagValues  the flags someone gave, validated and in canonical form (only those given);
//   Options     every flag resolved to a typed value (defaults + FlagValues, later wins);
//   gamer_tunables  the live subset of Options as the BPF scheduler reads it (ns, not µs).
//
// What belongs in the table: every flag that may appear in a profile or in ApplyFlags, i.e. that
// describes how to schedule. Options that only steer one run of the daemon binary (--profile,
// --monitor, --version, --help, subcommands such as ml-train) do NOT go into the table: main adds
// them to the same CLI::App with plain CLI11 calls, next to add_flags(app). That keeps them out of
// profiles and ApplyFlags by construction. The table's own FlagClass::Daemon is for profile flags
// that only the daemon reads (--stats).
//
// Safety: parse_flags() output is later written into /etc/default/scx (SCX_FLAGS) and run by
// `bash -c`. Flag names come from the table and every value passes a strict whitelist (digits;
// a-z 0-9 ',' '-' for strings; true/false for switches), so to_args()/to_command_line() output
// never needs quoting.
#pragma once

#include "bpf/intf.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace CLI {
class App;
}

namespace scx_gamer {

// Where a changed flag takes effect.
enum class FlagClass {
    Live,   // a field of struct gamer_tunables: rewritten in the running scheduler
    Reload, // read when the scheduler is loaded: a change re-attaches the scheduler
    Daemon, // read by the daemon only: the scheduler is not touched
};

enum class FlagType { Switch, Unsigned, String };

// Every flag resolved to its value. Options() holds the table's defaults.
struct Options {
    Options();

    std::uint32_t slice_us{};
    std::uint32_t game_slice_us{};
    std::uint32_t slice_lag_us{};
    bool mm_affinity{};
    std::uint32_t wakeup_timer_us{};
    bool avoid_smt{};
    std::uint32_t bg_starve_us{};
    std::uint32_t bg_starve_count{};
    std::uint32_t bg_min_share_pct{};
    bool no_game_preempt{};
    bool no_wake_boost{};
    std::string primary_domain;
    std::uint32_t stats_secs{};
    bool verbose{};
    std::uint32_t exit_dump_len{};

    bool operator==(const Options&) const = default;
};

// The Options member a flag sets; its type decides the FlagType (in this order).
using OptionField = std::variant<bool Options::*, std::uint32_t Options::*, std::string Options::*>;

struct FlagSpec {
    std::string_view name{}; // long name without "--"
    char short_name = '\0';  // '\0': no short form
    OptionField field{};
    FlagClass flag_class = FlagClass::Live;
    std::string_view default_value{}; // canonical text ("2000", "false", "all")
    std::uint32_t min = 0;            // Unsigned: the inclusive range [min, max]
    std::uint32_t max = 0;
    bool zero_disables = false; // Unsigned: 0 is accepted outside [min, max] and means "off"
    // Unsigned: a decimal fraction such as 1.0 or 0.5 is accepted too (the original scx_gamer's
    // --stats took seconds as a float). A whole one is that number; any other is rounded up.
    bool accepts_fraction = false;
    // String: returns the canonical form, or throws FlagError saying why (without the flag name).
    std::string (*canonicalize)(std::string_view value) = nullptr;
    std::string_view value_name{}; // placeholder in --help: N, SECS, SPEC
    std::string_view unit{};       // shown after the range in --help: "us", "s", "bytes"
    std::string_view help{};       // one sentence, no trailing period

    FlagType type() const { return static_cast<FlagType>(field.index()); }
    std::string long_flag() const { return "--" + std::string(name); }
};

// All flags, in the order --help and to_args() list them.
std::span<const FlagSpec> flag_table();
// The flag with this long name (without "--"), or nullptr.
const FlagSpec* find_flag(std::string_view name);

// Longest value accepted for any flag; CPU lists are the only long ones.
inline constexpr std::size_t kMaxFlagValueLength = 256;
// Most arguments parse_flags() accepts (ApplyFlags comes from any local user).
inline constexpr std::size_t kMaxFlagArgs = 64;

// Flags that were given, each validated and canonical, kept in table order.
class FlagValues {
  public:
    struct Entry {
        const FlagSpec* spec;
        std::string value;
        bool operator==(const Entry&) const = default;
    };

    // Validates value for the flag `name` (long name without "--") and stores its canonical
    // form, replacing an earlier value. Throws FlagError naming the flag.
    void set(std::string_view name, std::string_view value);
    // The canonical value of flag `name`, or nullptr if it was not given.
    const std::string* find(std::string_view name) const;
    // Values in `later` replace ours (later flags win).
    void merge(const FlagValues& later);

    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    const std::vector<Entry>& entries() const { return entries_; }

    bool operator==(const FlagValues&) const = default;

  private:
    std::vector<Entry> entries_;
};

// What parsing does with a number below a flag's minimum (or a fraction of a whole-unit flag).
//
// Raise is for configuration written before it reached us: the daemon's command line
// (SCX_FLAGS in /etc/default/scx, launch scripts) and profiles read from scx_loader's TOML.
// Those were often written for the original scx_gamer, whose 10 us slices and 100 us timers are
// below our minimums; rejecting them would leave the machine without a scheduler after a
// reboot, so the value is raised to the minimum and one warning line says so.
//
// Reject is for everything an administrator types at us now (D-Bus ApplyFlags, scxgamerctl,
// `scx_gamer config install --scx-flags` and `config validate-flags`): there a clear error
// reaches the person who can fix the value, and we never persist or apply a value that differs
// from what was asked without them seeing it. Values above a maximum fail in both modes.
enum class BelowMinimum { Reject, Raise };
struct ParsePolicy {
    BelowMinimum below_minimum = BelowMinimum::Reject;
    // With Raise: one line per changed value, e.g.
    // "--slice-us 10 is below the minimum 100; using 100". Must outlive the parse.
    std::vector<std::string>* warnings = nullptr;
};

// Parses profile flags ("--slice-us", "5000", "-a", "--primary-domain=0-3"). A flag given twice
// keeps its last value. Rejects unknown flags, positional arguments, --help and --version (those
// are the daemon's, not profile flags) and any value outside its whitelist or range (below the
// minimum: see ParsePolicy). Throws FlagError with a one-line message naming the flag, e.g.
// "--slice-us: 5 is out of range [100, 100000]".
FlagValues parse_flags(std::span<const std::string> args, const ParsePolicy& policy = {});

// The canonical form of a value for flag `spec`; throws FlagError naming the flag.
std::string canonical_value(const FlagSpec& spec, std::string_view value);

// base with the given flags applied.
Options apply(Options base, const FlagValues& values);

// Canonical arguments, in table order: {"--slice-us", "5000", "--mm-affinity"}; a switch turned
// off is "--mm-affinity=false". parse_flags(to_args(v)) == v.
std::vector<std::string> to_args(const FlagValues& values);
// to_args() joined with spaces, for SCX_FLAGS in /etc/default/scx (needs no quoting).
std::string to_command_line(const FlagValues& values);

// The flags whose values differ between two Options, with their values in `to`.
FlagValues diff(const Options& from, const Options& to);
// The flags that differ from the defaults: what to persist for these Options.
FlagValues non_default_flags(const Options& options);

// How a change of flags must be applied to a running scheduler.
enum class ApplyMode {
    Unchanged, // nothing changed
    Live,      // rewrite the tunables and/or daemon settings; the scheduler keeps running
    Reload,    // at least one Reload flag changed: the scheduler must be re-attached
};
ApplyMode required_apply_mode(const FlagValues& changes);

// The live tunables for the BPF scheduler (microseconds become nanoseconds).
gamer_tunables to_tunables(const Options& options);

// Adds every table flag to app, grouped by class, with descriptions from the table (so --help is
// generated from it). After app.parse(), given_flags(app) returns what the user gave.
void add_flags(CLI::App& app, const ParsePolicy& policy = {});
FlagValues given_flags(const CLI::App& app);

// One line per flag: "  -s, --slice-us N  ...": for documentation and `scxgamerctl flags`.
std::string flags_help();
// The description of one flag as --help shows it: help, range, unit and default.
std::string describe_flag(const FlagSpec& spec);

} // namespace scx_gamer
