// SPDX-License-Identifier: GPL-2.0-only
// The daemon: wires its parts into one sd-event loop and answers its interfaces through
// Controller. Each job is a part of its own, tested without a kernel or a bus: DetectionPipeline
// (detector records -> classifier -> game registry, and games' exits), SchedulerSupervisor (the
// BPF scheduler's attach, restart and transactional option changes), BusPresence (staying on the
// system bus). What remains here is the wiring, the profile and flag layering (profile, the
// learner's overlay, the user's flags) and the Controller calls. main() only builds and runs it.
#pragma once

#include "bpf/detector_bpf.h"
#include "config/persist.h"
#include "control/controller.h"
#include "dbus/dbus_service.h"
#include "event_loop.h"
#include "games/proc_reader.h"
#include "loader/loader_bus.h"
#include "ml/learner.h"
#include "service/bus_presence.h"
#include "service/config_watch.h"
#include "service/detection_linux.h"
#include "service/detection_pipeline.h"
#include "service/exit_codes.h"
#include "service/scheduler_supervisor.h"
#include "service/stats_server.h"
#include "service/timers.h"
#include "system/system_state.h"
#include "tuning/flags.h"
#include "tuning/profiles.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

struct DaemonSettings {
    std::string profile = "auto";
    FlagValues custom_flags; // the command line's flags; they win over the profile's
    std::filesystem::path rules_path = "/etc/scx_gamer/games.toml";
    std::filesystem::path stats_socket = kDefaultStatsSocket; // empty: no scx_stats server
    std::string version;
    // --loader-companion: scx_loader runs a stock scheduler; ours stays detached and scx_loader
    // is asked for Gaming mode while a game runs (loader/companion.h).
    bool loader_companion = false;
    ServiceEnvironment service_environment; // which unit started us: where persist() saves
    ml::LearnerSettings learning; // --ml-collect, --ml-autotune, --ml-profiles, --state-dir
};

class Daemon final : public Controller {
  public:
    explicit Daemon(DaemonSettings settings);
    ~Daemon() override;

    // Attaches, serves until SIGINT/SIGTERM or a kernel-initiated exit; returns the exit code.
    int run();

    EventLoop& loop() { return loop_; }

    // Controller
    StatsMap stats() const override;
    // "learned:KEY" / "autotune:KEY" while the learner's tunables are applied over the profile.
    std::string profile() const override { return overlay_ ? overlay_->label : profile_; }
    std::vector<std::string> flags() const override;
    std::string scheduler_state() const override;
    std::string detection_method() const override;
    std::map<std::string, std::vector<std::string>> profiles() const override;
    std::vector<Game> games() const override { return pipeline_->games().games(); }
    ApplyOutcome set_profile(const std::string& name) override;
    ApplyOutcome apply_flags(const std::vector<std::string>& flags) override;
    void persist() override;
    void register_game(uint32_t pid, const Registration& registration) override;
    bool unregister_game(uint32_t pid) override;
    void client_vanished(const std::string& owner) override;
    void subscribe(ControllerEvents events) override;
    std::vector<ml::LearnedProfile> learned_profiles() const override;
    ml::LearnedProfile learned_profile(const std::string& key) const override;
    std::string export_learned_profile(const std::string& key) const override;
    void delete_learned_profile(const std::string& key) override;

  private:
    void start_detector();
    void start_stats_server();
    void start_dbus();
    void start_companion();
    void reload_config(const char* why);
    void notify_subscribers(const char* what,
                            const std::function<void(const ControllerEvents&)>& call) const;
    void print_stats() const;
    void restart_stats_timer();
    SchedulerConfig scheduler_config(const Options& options) const;
    ApplyOutcome change_options(const Options& next, const std::string& next_profile,
                                const FlagValues& next_custom);
    void notify_properties(const std::vector<std::string>& names) const;
    const Options& options() const { return supervisor_->options(); }
    // The learner's side (daemon/ml): what it reads and how its tunables are layered.
    void start_learner();
    void follow_current_game();
    std::optional<ml::Reading> learning_reading(uint32_t pid) const;
    // Options of a profile with, in increasing precedence, the learner's overlay and `custom`.
    Options resolve_options(const std::string& profile, const FlagValues& custom) const;
    void set_overlay(std::optional<std::pair<std::string, FlagValues>> overlay);

    DaemonSettings settings_;
    EventLoop loop_;
    LoopTimers timers_{loop_};
    SystemState system_;
    ProfileSet profile_set_;
    std::string profile_;
    FlagValues custom_flags_;
    LinuxProcReader proc_;
    std::unique_ptr<SessionOracle> sessions_;
    LinuxProcessTable processes_;
    PidfdExitWatches exit_watches_{loop_};
    std::optional<DetectorBpf> detector_;
    std::optional<BpfDetectorPort> detector_port_;
    std::unique_ptr<DetectionPipeline> pipeline_;
    std::unique_ptr<SchedulerSupervisor> supervisor_;
    std::vector<ControllerEvents> subscribers_;
    std::chrono::steady_clock::time_point started_;
    int exit_code_ = kExitOk;
    std::unique_ptr<StatsServer> stats_server_;
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<DbusService> dbus_;
    std::unique_ptr<BusPresence> dbus_presence_;
    std::unique_ptr<LoaderBusLink> loader_; // companion mode only
    std::unique_ptr<BusPresence> loader_presence_;
    std::unique_ptr<ConfigWatch> config_watch_;
    std::unique_ptr<ml::Learner> learner_;
    struct Overlay {
        std::string label;   // what profile() shows
        FlagValues tunables; // over the profile; custom flags still win
    };
    std::optional<Overlay> overlay_;

    // Event sources last: they are dropped first, before what their callbacks use.
    EventSource sigint_, sigterm_, sighup_, detector_events_, stats_timer_, learning_timer_;
};

} // namespace scx_gamer
