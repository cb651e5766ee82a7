// SPDX-License-Identifier: GPL-2.0-only
#include "config/persist.h"

#include "config/config_install.h"
#include "tuning/profiles.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/text.h"

#include <algorithm>
#include <cstdlib>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPathLength = 4096;

// What a new /etc/default/scx_gamer starts with, so an administrator finds out what it is for.
constexpr std::string_view kNewGamerFileHeader =
    "# Flags of scx_gamer.service (ExecStart=/usr/bin/scx_gamer $SCX_GAMER_FLAGS), see "
    "scx_gamer(8).\n"
    "# scxgamerctl set-profile/apply-flags --persist rewrite SCX_GAMER_FLAGS.\n";

std::optional<std::string> environment_variable(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
}

bool names_gamer(const std::optional<std::string>& scheduler) {
    return scheduler && unix_basename(*scheduler) == kGamerSchedulerName;
}

bool set_and_not_empty(const std::optional<std::string>& value) {
    return value && !value->empty();
}

// A path word that needs no quoting anywhere (bash, systemd) and cannot pass for an option.
bool is_safe_path(std::string_view path) {
    if (path.empty() || path.size() > kMaxPathLength || path.front() == '-')
        return false;
    return std::all_of(path.begin(), path.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("._/+-").find(c) != std::string_view::npos;
    });
}

std::string checked_path(const fs::path& path, std::string_view option) {
    std::string text = path.string();
    if (!is_safe_path(text))
        throw Error("cannot save " + std::string(option) + " " + quote_for_message(text) +
                    ": only paths of letters, digits and . _ / + - can be written there");
    return text;
}

} // namespace

ServiceEnvironment ServiceEnvironment::of_this_process() {
    return {environment_variable("SCX_SCHEDULER"), environment_variable("SCX_SCHEDULER_OVERRIDE"),
            environment_variable("SCX_FLAGS_OVERRIDE")};
}

PersistTarget persist_target(const ServiceEnvironment& environment) {
    PersistTarget own_unit{"etc/default/scx_gamer", ScxVariable::GamerFlags};
    // Only scx.service's EnvironmentFile puts SCX_SCHEDULER into our environment.
    if (!environment.scx_scheduler)
        return own_unit;
    const bool overridden = set_and_not_empty(environment.scx_scheduler_override);
    const auto& running =
        overridden ? environment.scx_scheduler_override : environment.scx_scheduler;
    if (!names_gamer(running))
        return own_unit; // scx.service runs another scheduler: we were not started by it
    if (!names_gamer(environment.scx_scheduler))
        throw Error("scx.service runs scx_gamer through SCX_SCHEDULER_OVERRIDE while "
                    "/etc/default/scx selects " +
                    quote_for_message(*environment.scx_scheduler) +
                    ", whose SCX_FLAGS these are not; select scx_gamer there, or clear the "
                    "override (systemctl unset-environment SCX_SCHEDULER_OVERRIDE)");
    if (set_and_not_empty(environment.scx_flags_override))
        throw Error("scx.service runs scx_gamer with SCX_FLAGS_OVERRIDE, which wins over "
                    "SCX_FLAGS in /etc/default/scx, so saving there would not be used; clear it "
                    "first (systemctl unset-environment SCX_FLAGS_OVERRIDE)");
    return {"etc/default/scx", ScxVariable::Flags};
}

std::vector<std::string> DaemonCommandLine::to_args() const {
    if (!is_valid_profile_name(profile))
        throw Error("cannot save the profile name " + quote_for_message(profile) +
                    ": expected 1-32 of a-z, 0-9, _ and -, not starting with _ or -");
    std::vector<std::string> args{"--profile", profile};
    for (auto& flag : scx_gamer::to_args(custom_flags))
        args.push_back(std::move(flag));
    if (rules_path) {
        args.emplace_back("--rules");
        args.push_back(checked_path(*rules_path, "--rules"));
    }
    if (stats_socket) {
        // "Serve none" is an empty word: it cannot be written without quotes, and neither bash's
        // nor systemd's splitting of the variable removes quotes ("--stats-socket=" is no way
        // out: the command line parser wants a value after the '=').
        if (stats_socket->empty())
            throw Error("cannot save --stats-socket with an empty path (serve none): an empty "
                        "word cannot be written there; give the daemon a socket path");
        args.emplace_back("--stats-socket");
        args.push_back(checked_path(*stats_socket, "--stats-socket"));
    }
    return args;
}

std::string DaemonCommandLine::to_command_line() const {
    std::string line;
    for (const auto& arg : to_args()) {
        if (!line.empty())
            line += ' ';
        line += arg;
    }
    return line;
}

PersistOutcome persist_state(const DaemonCommandLine& state, const ServiceEnvironment& environment,
                             const fs::path& root) {
    const PersistTarget target = persist_target(environment);
    const std::string value = state.to_command_line();
    const fs::path path = root / target.file;
    const std::optional<std::string> before = read_config_file(path);

    DefaultScxFile file(before.value_or(std::string(kNewGamerFileHeader)));
    if (target.variable == ScxVariable::Flags) {
        // scx.service cannot start without it; recreating it is the administrator's business.
        if (!before)
            throw Error("cannot save to " + path.string() +
                        ": it does not exist (scx.service reads SCX_SCHEDULER from it)");
        // The administrator may have switched scheduler since we started: SCX_FLAGS is then
        // that scheduler's.
        const auto selected = file.scheduler();
        if (!names_gamer(selected))
            throw Error("not saving to " + path.string() + ": SCX_SCHEDULER there is now " +
                        quote_for_message(selected.value_or("")) + ", not scx_gamer");
    }
    try {
        file.set_value(target.variable, value);
    } catch (const Error& e) {
        throw Error("cannot save to " + path.string() + ": " + e.what());
    }

    PersistOutcome outcome;
    outcome.file = path;
    outcome.assignment = std::string(variable_name(target.variable)) + "=" + value;
    const FileChange change{path, before, file.text(), /*backup=*/true, /*new_file_mode=*/0644};
    if (!change.changes_anything())
        return outcome;
    const AppliedChanges applied = apply_file_changes({change});
    outcome.changed = true;
    if (!applied.backups.empty())
        outcome.backup = applied.backups.front();
    return outcome;
}

} // namespace scx_gamer
