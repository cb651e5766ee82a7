// SPDX-License-Identifier: GPL-2.0-only
// A Controller with canned state for the D-Bus tests: it records every call that would change the
// daemon, so a test can tell that a refused call never reached it. Flags go through the real flag
// parser (scxg_tuning), so ApplyFlags errors are the daemon's own FlagError messages.
#pragma once

#include "control/controller.h"

#include <map>
#include <string>
#include <vector>

namespace scx_gamer::testing {

class FakeController final : public Controller {
  public:
    FakeController();

    StatsMap stats() const override;
    std::string profile() const override { return profile_; }
    std::vector<std::string> flags() const override { return flags_; }
    std::string scheduler_state() const override { return scheduler_state_; }
    std::string detection_method() const override { return detection_method_; }
    std::map<std::string, std::vector<std::string>> profiles() const override { return profiles_; }
    std::vector<Game> games() const override;

    ApplyOutcome set_profile(const std::string& name) override;
    ApplyOutcome apply_flags(const std::vector<std::string>& flags) override;
    // Records "persist profile=PROFILE FLAGS..." (the state it would save); throws Error with the
    // message set by fail_persist() instead, if any.
    void persist() override;
    void register_game(uint32_t pid, const Registration& registration) override;
    bool unregister_game(uint32_t pid) override;
    void client_vanished(const std::string& owner) override;
    void subscribe(ControllerEvents events) override;
    // One canned learned profile, "steam-620"; deleting records "delete_learned_profile KEY"
    // and keeps it (the fixture serves many tests).
    std::vector<ml::LearnedProfile> learned_profiles() const override;
    ml::LearnedProfile learned_profile(const std::string& key) const override;
    std::string export_learned_profile(const std::string& key) const override;
    void delete_learned_profile(const std::string& key) override;

    // What the test drives: the events the real daemon's detector and scheduler would cause.
    void detect_game(Game game);
    bool exit_game(uint32_t pid);
    void set_scheduler_state(std::string state);
    void set_detection_method(std::string method);
    // Makes persist() fail with this message; "" makes it succeed again.
    void fail_persist(std::string message) { persist_failure_ = std::move(message); }

    // "set_profile gaming", "apply_flags --slice-us 5000", "register_game 42 :1.7", ...
    const std::vector<std::string>& calls() const { return calls_; }
    void clear_calls() { calls_.clear(); }

  private:
    void notify_properties(const std::vector<std::string>& names);
    void notify_detected(const Game& game);
    void notify_exited(const Game& game);

    std::string profile_ = "auto";
    std::vector<std::string> flags_;
    std::string scheduler_state_ = "enabled";
    std::string detection_method_ = "lsm";
    std::map<std::string, std::vector<std::string>> profiles_;
    std::map<uint32_t, Game> games_;
    std::vector<ControllerEvents> subscribers_;
    std::vector<std::string> calls_;
    std::string persist_failure_;
    std::map<std::string, ml::LearnedProfile> learned_;
};

} // namespace scx_gamer::testing
