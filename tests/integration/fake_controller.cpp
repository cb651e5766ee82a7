// SPDX-License-Identifier: GPL-2.0-only
#include "fake_controller.h"

#include "tuning/flags.h"
#include "util/error.h"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace scx_gamer::testing {
namespace {

uint64_t realtime_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string joined(const std::string& head, const std::vector<std::string>& words) {
    std::string out = head;
    for (const auto& word : words)
        out += " " + word;
    return out;
}

} // namespace

FakeController::FakeController() {
    ml::LearnedProfile portal;
    portal.key = "steam-620";
    portal.game = "portal2_linux";
    portal.tunables.set("slice-us", "4000");
    portal.tunables.set("mm-affinity", "true");
    portal.source = "autotune";
    portal.date = "2026-11-26T19:00:05Z";
    portal.objective_before = 812.5;
    portal.objective_after = 420.1;
    portal.trials = 14;
    portal.windows = 120;
    portal.before.set("slice-us", "2000");
    learned_.emplace(portal.key, portal);
    profiles_ = {
        {"auto", {}},
        {"gaming", {"--slice-us", "5000", "--mm-affinity"}},
        {"lowlatency", {"--slice-us", "1000", "--game-slice-us", "500"}},
        {"powersave", {"--primary-domain", "powersave"}},
    };
}

StatsMap FakeController::stats() const {
    const Game* current = nullptr;
    for (const auto& [pid, game] : games_)
        if (!current || game.detected_at_us >= current->detected_at_us)
            current = &game;
    return {
        {"uptime_s", uint64_t{42}},
        {"scheduler_state", scheduler_state_},
        {"profile", profile_},
        {"game_pid", current ? current->pid : uint32_t{0}},
        {"game_name", current ? current->name : std::string{}},
        {"nr_games", uint64_t{games_.size()}},
        {"nr_game_threads", uint64_t{games_.size() * 12}},
        {"nr_dispatched", uint64_t{123456}},
        {"nr_direct_dispatched", uint64_t{65432}},
        {"nr_kicks", uint64_t{789}},
        {"game_wakeup_p50_us", uint64_t{35}},
        {"game_wakeup_p99_us", uint64_t{410}},
        {"game_wakeup_p999_us", uint64_t{1900}},
        {"busy_ratio", 0.25}, // a double, to cover every StatValue alternative
    };
}

std::vector<Game> FakeController::games() const {
    std::vector<Game> out;
    std::error_code ignored;
    for (const auto& [pid, game] : games_)
        // A registered game whose process is gone has ended, as for the daemon (scxgamerctl
        // launch waits for that); the detector's stand-ins (DetectGame) have no process.
        if (!game.registered_by || std::filesystem::exists("/proc/" + std::to_string(pid), ignored))
            out.push_back(game);
    return out;
}

ApplyOutcome FakeController::set_profile(const std::string& name) {
    calls_.push_back("set_profile " + name);
    auto it = profiles_.find(name);
    if (it == profiles_.end())
        throw UnknownProfile("unknown profile '" + name + "'");
    profile_ = name;
    flags_ = it->second;
    notify_properties({"Profile", "Flags"});
    return {ChangeMode::Live, flags_};
}

ApplyOutcome FakeController::apply_flags(const std::vector<std::string>& flags) {
    calls_.push_back(joined("apply_flags", flags));
    const FlagValues values = parse_flags(flags); // throws FlagError naming the flag
    flags_ = to_args(values);
    profile_.clear();
    // "ThisProperty" is not ours: the service must skip it rather than fail.
    notify_properties({"Profile", "Flags", "ThisProperty"});
    const bool reattach = required_apply_mode(values) == ApplyMode::Reload;
    return {reattach ? ChangeMode::Reattach : ChangeMode::Live, flags_};
}

void FakeController::persist() {
    if (!persist_failure_.empty()) {
        calls_.push_back("persist failed");
        throw Error(persist_failure_);
    }
    calls_.push_back(joined("persist profile=" + profile_, flags_));
}

void FakeController::register_game(uint32_t pid, const Registration& registration) {
    const std::string& owner = registration.owner;
    calls_.push_back("register_game " + std::to_string(pid) + " " + owner +
                     (registration.name.empty() ? "" : " name=" + registration.name) +
                     (registration.via.empty() ? "" : " via=" + registration.via));
    const std::filesystem::path proc = "/proc/" + std::to_string(pid);
    if (pid == 0 || !std::filesystem::exists(proc))
        throw Error("no process with pid " + std::to_string(pid));
    if (games_.count(pid) > 0)
        return;
    Game game;
    game.pid = pid;
    std::ifstream(proc / "comm") >> game.name;
    if (!registration.name.empty())
        game.name = registration.name;
    std::error_code ignored;
    game.exe = std::filesystem::read_symlink(proc / "exe", ignored).string();
    game.reason = registration.via.empty() ? "registered" : "registered:" + registration.via;
    game.detected_at_us = realtime_us();
    game.registered_by = owner;
    const Game& added = games_.emplace(pid, std::move(game)).first->second;
    notify_detected(added);
}

bool FakeController::unregister_game(uint32_t pid) {
    calls_.push_back("unregister_game " + std::to_string(pid));
    auto it = games_.find(pid);
    if (it == games_.end() || !it->second.registered_by)
        return false;
    return exit_game(pid);
}

void FakeController::client_vanished(const std::string& owner) {
    calls_.push_back("client_vanished " + owner);
    std::vector<uint32_t> pids;
    for (const auto& [pid, game] : games_)
        if (game.registered_by == owner)
            pids.push_back(pid);
    for (uint32_t pid : pids)
        exit_game(pid);
}

void FakeController::subscribe(ControllerEvents events) {
    subscribers_.push_back(std::move(events));
}

void FakeController::detect_game(Game game) {
    if (game.detected_at_us == 0)
        game.detected_at_us = realtime_us();
    auto [it, inserted] = games_.emplace(game.pid, std::move(game));
    if (inserted)
        notify_detected(it->second);
}

bool FakeController::exit_game(uint32_t pid) {
    auto node = games_.extract(pid);
    if (node.empty())
        return false;
    notify_exited(node.mapped());
    return true;
}

void FakeController::set_scheduler_state(std::string state) {
    scheduler_state_ = std::move(state);
    notify_properties({"SchedulerState"});
}

void FakeController::set_detection_method(std::string method) {
    detection_method_ = std::move(method);
    notify_properties({"DetectionMethod"});
}

void FakeController::notify_properties(const std::vector<std::string>& names) {
    for (const auto& subscriber : subscribers_)
        if (subscriber.properties_changed)
            subscriber.properties_changed(names);
}

void FakeController::notify_detected(const Game& game) {
    for (const auto& subscriber : subscribers_)
        if (subscriber.game_detected)
            subscriber.game_detected(game);
}

void FakeController::notify_exited(const Game& game) {
    for (const auto& subscriber : subscribers_)
        if (subscriber.game_exited)
            subscriber.game_exited(game);
}

} // namespace scx_gamer::testing

namespace scx_gamer::testing {

std::vector<ml::LearnedProfile> FakeController::learned_profiles() const {
    std::vector<ml::LearnedProfile> out;
    for (const auto& [key, profile] : learned_)
        out.push_back(profile);
    return out;
}

ml::LearnedProfile FakeController::learned_profile(const std::string& key) const {
    auto it = learned_.find(key);
    if (it == learned_.end())
        throw UnknownLearnedProfile("no learned profile '" + key + "'");
    return it->second;
}

std::string FakeController::export_learned_profile(const std::string& key) const {
    return "key = \"" + learned_profile(key).key + "\"\n";
}

void FakeController::delete_learned_profile(const std::string& key) {
    calls_.push_back("delete_learned_profile " + key);
    if (learned_.count(key) == 0) // the canned profile stays: every test finds it
        throw UnknownLearnedProfile("no learned profile '" + key + "'");
}

} // namespace scx_gamer::testing
