// SPDX-License-Identifier: GPL-2.0-only
// The commands that read or change the daemon's state: status, set-profile, apply-flags,
// profiles, games, stats and monitor. launch and agent live in their own files.
#include "commands.h"

#include "daemon_client.h"
#include "signal_loop.h"
#include "tty_auth_agent.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

namespace scxgamerctl {
namespace {

using nlohmann::json;

void print_json(const json& value) {
    std::cout << value.dump() << '\n' << std::flush; // consumers read line by line from a pipe
}

template <typename T> std::optional<T> stat_value(const Stats& stats, const std::string& key) {
    auto it = stats.find(key);
    if (it == stats.end() || !it->second.containsValueOfType<T>())
        return std::nullopt;
    return it->second.get<T>();
}

std::string format_duration(uint64_t seconds) {
    const uint64_t days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60,
                   secs = seconds % 60;
    std::string out;
    if (days > 0)
        out += std::to_string(days) + "d ";
    if (days > 0 || hours > 0)
        out += std::to_string(hours) + "h ";
    if (days > 0 || hours > 0 || minutes > 0)
        out += std::to_string(minutes) + "m ";
    return out + std::to_string(secs) + "s";
}

std::string format_local_time(uint64_t realtime_us, const char* format) {
    const std::time_t seconds = static_cast<std::time_t>(realtime_us / 1'000'000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[64];
    std::strftime(text, sizeof text, format, &local);
    return text;
}

std::string now_hms() {
    const std::time_t now = std::time(nullptr);
    return format_local_time(static_cast<uint64_t>(now) * 1'000'000, "%H:%M:%S");
}

std::string property_text(const std::map<std::string, sdbus::Variant>& properties,
                          const std::string& name) {
    auto it = properties.find(name);
    return it == properties.end() ? std::string{"?"} : to_text(it->second);
}

// D-Bus property names in the JSON output's key style: "SchedulerState" -> "scheduler_state".
std::string snake_case(const std::string& name) {
    std::string out;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') {
            if (!out.empty())
                out += '_';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

json properties_json(const std::map<std::string, sdbus::Variant>& properties) {
    json out = json::object();
    for (const auto& [name, value] : properties)
        out[snake_case(name)] = to_json(value);
    return out;
}

std::string flags_text(const std::string& joined) {
    return joined.empty() ? "(defaults)" : joined;
}

std::string mode_text(const std::string& mode) {
    return mode == "reattach" ? "the scheduler was re-attached" : "applied live";
}

// The options of SetProfileWithOptions / ApplyFlagsWithOptions that --persist sends.
std::map<std::string, sdbus::Variant> persist_option() {
    return {{"persist", sdbus::Variant{true}}};
}

const char* persisted_text(bool persisted) {
    return persisted ? " and saved for the next start" : "";
}

// Starts pkttyagent for a privileged call when someone at a terminal could answer a prompt.
// Root is never asked by the daemon, so it needs no agent.
std::unique_ptr<TtyAuthAgent> auth_agent_for(const GlobalOptions& options) {
    if (!options.ask_password || geteuid() == 0)
        return nullptr;
    return TtyAuthAgent::start_if_useful();
}

void print_stats_lines(const Stats& stats) {
    size_t width = 0;
    for (const auto& [key, value] : stats)
        width = std::max(width, key.size());
    for (const auto& [key, value] : stats)
        std::printf("%-*s  %s\n", static_cast<int>(width), key.c_str(), to_text(value).c_str());
    std::fflush(stdout);
}

} // namespace

int cmd_status(const GlobalOptions& options) {
    auto bus = connect_system_bus(false);
    DaemonClient daemon(*bus);
    const auto properties = daemon.properties();
    const Stats stats = daemon.stats();
    const auto games = daemon.games();

    const uint32_t game_pid = stat_value<uint32_t>(stats, "game_pid").value_or(0);
    const GameInfo* current = nullptr;
    for (const auto& game : games)
        if (game.pid == game_pid)
            current = &game;

    if (options.json) {
        // profile, flags, scheduler_state, detection_method, version
        json out = properties_json(properties);
        out["game"] = current ? to_json(*current) : json(nullptr);
        out["games"] = json::array();
        for (const auto& game : games)
            out["games"].push_back(to_json(game));
        out["stats"] = to_json(stats);
        print_json(out);
        return kExitOk;
    }

    std::printf("scx_gamer %s\n", property_text(properties, "Version").c_str());
    std::printf("  Scheduler:    %s\n", property_text(properties, "SchedulerState").c_str());
    const std::string profile = property_text(properties, "Profile");
    std::printf("  Profile:      %s\n",
                profile.empty() ? "(none: flags set by hand)" : profile.c_str());
    std::printf("  Flags:        %s\n", flags_text(property_text(properties, "Flags")).c_str());
    std::printf("  Detection:    %s\n", property_text(properties, "DetectionMethod").c_str());
    if (current)
        std::printf("  Game:         %s (pid %u, %s)\n", current->name.c_str(), current->pid,
                    current->reason.c_str());
    else
        std::printf("  Game:         none\n");
    if (games.size() > 1)
        std::printf("  Other games:  %zu (see: scxgamerctl games)\n", games.size() - 1);
    if (auto uptime = stat_value<uint64_t>(stats, "uptime_s"))
        std::printf("  Uptime:       %s\n", format_duration(*uptime).c_str());
    if (auto threads = stat_value<uint64_t>(stats, "nr_game_threads"))
        std::printf("  Game threads: %llu\n", static_cast<unsigned long long>(*threads));
    auto dispatched = stat_value<uint64_t>(stats, "nr_dispatched");
    auto direct = stat_value<uint64_t>(stats, "nr_direct_dispatched");
    auto kicks = stat_value<uint64_t>(stats, "nr_kicks");
    if (dispatched && direct && kicks)
        std::printf("  Dispatched:   %llu (%llu direct), %llu kicks\n",
                    static_cast<unsigned long long>(*dispatched),
                    static_cast<unsigned long long>(*direct),
                    static_cast<unsigned long long>(*kicks));
    auto p50 = stat_value<uint64_t>(stats, "game_wakeup_p50_us");
    auto p99 = stat_value<uint64_t>(stats, "game_wakeup_p99_us");
    auto p999 = stat_value<uint64_t>(stats, "game_wakeup_p999_us");
    if (p50 && p99 && p999)
        std::printf("  Game wakeup:  p50 %llu µs, p99 %llu µs, p99.9 %llu µs\n",
                    static_cast<unsigned long long>(*p50), static_cast<unsigned long long>(*p99),
                    static_cast<unsigned long long>(*p999));
    auto detect_p50 = stat_value<uint64_t>(stats, "detection_p50_us");
    auto detect_p99 = stat_value<uint64_t>(stats, "detection_p99_us");
    if (detect_p50 && detect_p99 && (*detect_p50 || *detect_p99))
        std::printf("  Detection:    p50 %llu µs, p99 %llu µs (exec record to GameDetected)\n",
                    static_cast<unsigned long long>(*detect_p50),
                    static_cast<unsigned long long>(*detect_p99));
    return kExitOk;
}

int cmd_set_profile(const GlobalOptions& options, const std::string& name, bool persist) {
    auto bus = connect_system_bus(options.ask_password);
    DaemonClient daemon(*bus);
    const auto agent = auth_agent_for(options);
    const std::string mode =
        persist ? daemon.set_profile(name, persist_option()) : daemon.set_profile(name);
    if (options.json)
        print_json({{"profile", name}, {"mode", mode}, {"persisted", persist}});
    else
        std::printf("Profile set to %s (%s)%s.\n", name.c_str(), mode_text(mode).c_str(),
                    persisted_text(persist));
    return kExitOk;
}

int cmd_apply_flags(const GlobalOptions& options, const std::vector<std::string>& flags,
                    bool persist) {
    auto bus = connect_system_bus(options.ask_password);
    DaemonClient daemon(*bus);
    const auto agent = auth_agent_for(options);
    const std::string mode =
        persist ? daemon.apply_flags(flags, persist_option()) : daemon.apply_flags(flags);
    if (options.json) {
        print_json({{"flags", daemon.flags()}, {"mode", mode}, {"persisted", persist}});
    } else {
        std::string now;
        for (const auto& flag : daemon.flags())
            now += (now.empty() ? "" : " ") + flag;
        std::printf("Flags applied (%s)%s. In force: %s\n", mode_text(mode).c_str(),
                    persisted_text(persist), flags_text(now).c_str());
    }
    return kExitOk;
}

int cmd_profiles(const GlobalOptions& options) {
    auto bus = connect_system_bus(false);
    DaemonClient daemon(*bus);
    const auto profiles = daemon.profiles();
    const std::string active = daemon.profile();
    if (options.json) {
        print_json({{"active", active}, {"profiles", profiles}});
        return kExitOk;
    }
    size_t width = 0;
    for (const auto& [name, flags] : profiles)
        width = std::max(width, name.size());
    for (const auto& [name, flags] : profiles) {
        std::string joined;
        for (const auto& flag : flags)
            joined += (joined.empty() ? "" : " ") + flag;
        std::printf("%s %-*s  %s\n", name == active ? "*" : " ", static_cast<int>(width),
                    name.c_str(), flags_text(joined).c_str());
    }
    return kExitOk;
}

int cmd_games(const GlobalOptions& options) {
    auto bus = connect_system_bus(false);
    DaemonClient daemon(*bus);
    const auto games = daemon.games();
    if (options.json) {
        json out = json::array();
        for (const auto& game : games)
            out.push_back(to_json(game));
        print_json(out);
        return kExitOk;
    }
    if (games.empty()) {
        std::printf("No games running.\n");
        return kExitOk;
    }
    std::printf("%-8s %-24s %-16s %-19s %s\n", "PID", "NAME", "REASON", "DETECTED", "EXE");
    for (const auto& game : games)
        std::printf("%-8u %-24s %-16s %-19s %s\n", game.pid, game.name.c_str(), game.reason.c_str(),
                    format_local_time(game.detected_at_us, "%Y-%m-%d %H:%M:%S").c_str(),
                    game.exe.c_str());
    return kExitOk;
}

int cmd_stats(const GlobalOptions& options, unsigned watch_seconds) {
    auto bus = connect_system_bus(false);
    DaemonClient daemon(*bus);

    // Ctrl-C ends --watch; blocking the signals lets sigtimedwait be both the sleep and the wait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (watch_seconds > 0)
        sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

    for (bool first = true;; first = false) {
        const Stats stats = daemon.stats();
        if (options.json) {
            print_json(to_json(stats));
        } else {
            if (watch_seconds > 0)
                std::printf("%s-- %s\n", first ? "" : "\n", now_hms().c_str());
            print_stats_lines(stats);
        }
        if (watch_seconds == 0)
            return kExitOk;
        const timespec interval{static_cast<time_t>(watch_seconds), 0};
        int signal;
        while ((signal = sigtimedwait(&stop_signals, nullptr, &interval)) < 0 && errno == EINTR) {
        }
        if (signal > 0)
            return kExitOk;
    }
}

int cmd_monitor(const GlobalOptions& options) {
    SignalLoop loop;
    auto bus = connect_system_bus(false, true);
    bus->attachSdEventLoop(loop.get());
    DaemonClient daemon(*bus);

    daemon.on_game_detected = [&](const GameInfo& game) {
        if (options.json)
            print_json({{"event", "GameDetected"},
                        {"pid", game.pid},
                        {"name", game.name},
                        {"exe", game.exe},
                        {"reason", game.reason}});
        else
            std::cout << "[" << now_hms() << "] game detected: " << game.name << " (pid "
                      << game.pid << ", " << game.reason << ") " << game.exe << '\n'
                      << std::flush;
    };
    daemon.on_game_exited = [&](uint32_t pid, const std::string& name) {
        if (options.json)
            print_json({{"event", "GameExited"}, {"pid", pid}, {"name", name}});
        else
            std::cout << "[" << now_hms() << "] game exited: " << name << " (pid " << pid << ")"
                      << '\n'
                      << std::flush;
    };
    daemon.on_scheduler_exited = [&](const std::string& reason, const std::string& message) {
        if (options.json)
            print_json({{"event", "SchedulerExited"}, {"reason", reason}, {"message", message}});
        else
            std::cout << "[" << now_hms() << "] scheduler unloaded by the kernel: " << reason
                      << (message.empty() ? "" : " (" + message + ")") << '\n'
                      << std::flush;
    };
    daemon.on_properties_changed = [&](const std::map<std::string, sdbus::Variant>& changed) {
        if (options.json) {
            print_json({{"event", "PropertiesChanged"}, {"changed", properties_json(changed)}});
            return;
        }
        for (const auto& [name, value] : changed)
            std::cout << "[" << now_hms() << "] " << name << ": " << to_text(value) << '\n'
                      << std::flush;
    };
    // Subscribe first, then read the state: a change in between shows up as an event.
    daemon.follow_signals();
    const auto properties = daemon.properties();
    if (options.json) {
        json state = properties_json(properties);
        state["event"] = "State";
        print_json(state);
    } else {
        std::cout << "Following scx_gamer " << property_text(properties, "Version") << " (profile "
                  << property_text(properties, "Profile") << ", scheduler "
                  << property_text(properties, "SchedulerState") << "); Ctrl-C to stop." << '\n'
                  << std::flush;
    }
    return loop.run();
}

} // namespace scxgamerctl

namespace scxgamerctl {
namespace {

std::string joined_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

template <typename T>
T learned_value(const Stats& profile, const std::string& key, const T& fallback) {
    return stat_value<T>(profile, key).value_or(fallback);
}

void print_learned(const Stats& profile) {
    const auto text = [&](const char* key) { return learned_value<std::string>(profile, key, ""); };
    const auto flags = [&](const char* key) {
        return flags_text(joined_words(learned_value<std::vector<std::string>>(profile, key, {})));
    };
    std::printf("Key:        %s%s\n", text("key").c_str(),
                learned_value<bool>(profile, "applied", false) ? " (applied now)" : "");
    std::printf("Game:       %s\n", text("game").c_str());
    std::printf("Flags:      %s\n", flags("flags").c_str());
    std::printf("Learned:    %s by %s, %u trials, %u windows%s\n", text("date").c_str(),
                text("source").c_str(), learned_value<uint32_t>(profile, "trials", 0),
                learned_value<uint32_t>(profile, "windows", 0),
                learned_value<bool>(profile, "single_config", false)
                    ? " (one configuration seen: nothing compared)"
                    : "");
    std::printf("Objective:  %.1f -> %.1f (lower is better)\n",
                learned_value<double>(profile, "objective_before_us", 0),
                learned_value<double>(profile, "objective_after_us", 0));
    std::printf("Compared with: %s\n", flags("before_flags").c_str());
}

} // namespace

int cmd_learned(const GlobalOptions& options, const std::string& action, const std::string& key) {
    auto bus = connect_system_bus(action == "delete" && options.ask_password);
    DaemonClient daemon(*bus);
    if (action == "list") {
        const auto profiles = daemon.learned_profiles();
        if (options.json) {
            json out = json::array();
            for (const auto& profile : profiles)
                out.push_back(to_json(profile));
            print_json(out);
            return kExitOk;
        }
        if (profiles.empty()) {
            std::printf("No learned profiles.\n");
            return kExitOk;
        }
        size_t width = 0;
        for (const auto& profile : profiles)
            width = std::max(width, learned_value<std::string>(profile, "key", "").size());
        for (const auto& profile : profiles)
            std::printf(
                "%s %-*s  %8.1f -> %8.1f  %s\n",
                learned_value<bool>(profile, "applied", false) ? "*" : " ", static_cast<int>(width),
                learned_value<std::string>(profile, "key", "").c_str(),
                learned_value<double>(profile, "objective_before_us", 0),
                learned_value<double>(profile, "objective_after_us", 0),
                flags_text(
                    joined_words(learned_value<std::vector<std::string>>(profile, "flags", {})))
                    .c_str());
        return kExitOk;
    }
    if (action == "show") {
        const auto profile = daemon.learned_profile(key);
        if (options.json)
            print_json(to_json(profile));
        else
            print_learned(profile);
        return kExitOk;
    }
    if (action == "export") {
        const std::string text = daemon.export_learned_profile(key);
        if (options.json)
            print_json({{"key", key}, {"toml", text}});
        else
            std::fputs(text.c_str(), stdout);
        return kExitOk;
    }
    if (action == "delete") {
        const auto agent = auth_agent_for(options);
        daemon.delete_learned_profile(key);
        if (options.json)
            print_json({{"deleted", key}});
        else
            std::printf("Learned profile %s deleted.\n", key.c_str());
        return kExitOk;
    }
    return kExitUsage;
}

} // namespace scxgamerctl
