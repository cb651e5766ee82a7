// SPDX-License-Identifier: GPL-2.0-only
// The daemon: wires the BPF scheduler and detector, the classifier and the game registry into one
// sd-event loop, and answers its interfaces through Controller. main() only builds and runs it.
#pragma once

#include "bpf/detector_bpf.h"
#include "bpf/scheduler_bpf.h"
#include "config/persist.h"
#include "control/controller.h"
#include "dbus/dbus_service.h"
#include "event_loop.h"
#include "games/classifier.h"
#include "games/eligibility.h"
#include "games/game_registry.h"
#include "loader/loader_bus.h"
#include "ml/learner.h"
#include "service/config_watch.h"
#include "service/stats_server.h"
#include "system/system_state.h"
#include "tuning/flags.h"
#include "tuning/profiles.h"
#include "util/unique_fd.h"

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

// Exit codes of run().
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitKernelEjected = 70; // the kernel unloaded the scheduler (EX_SOFTWARE)

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
    std::vector<Game> games() const override { return games_.games(); }
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
    void attach_scheduler(const SchedulerConfig& config);
    void reattach_scheduler(const SchedulerConfig& config); // restores the previous on failure
    void start_detector();
    void start_stats_server();
    void start_dbus();
    void serve_dbus(); // connects and serves org.cachyos.ScxGamer; throws when it cannot
    void on_bus_lost();
    void reconnect_bus();
    void start_companion();
    void connect_loader(bool first_attempt);
    void reload_config(const char* why);
    void on_scheduler_exit();
    void on_detector_events();
    void handle_record(const DetectorRecord& record);
    void restart_scheduler(); // after the kernel asked for it (CPU hotplug)
    void consider_exec(const DetectorRecord& record);
    // exec_ns: when the kernel reported the exec (CLOCK_MONOTONIC), 0 if not from an exec.
    void consider(uint32_t tgid, const char* trigger, uint64_t exec_ns = 0);
    void register_if_game(uint32_t tgid, const std::optional<ProcessInfo>& info,
                          const char* trigger, uint64_t exec_ns);
    bool exec_finished(uint32_t tgid) const;
    void defer_exec(uint32_t tgid, uint64_t exec_ns);
    void retry_pending_execs();
    void watch_exit(uint32_t pid);
    void remove_exited_games();
    // Game trees (bpf/intf.h): whether a process of root's tree still runs; ending the games
    // whose tree is gone; a member's exec or rename; the root's earlier children joining.
    bool tree_lives(uint32_t root) const;
    void check_game_trees();
    void check_detector_misses();
    void check_tree_member(uint32_t tgid, const std::optional<ProcessInfo>& info);
    void adopt_descendants(uint32_t root);
    void scan_running_processes();
    void rescan_after_drops();
    void apply_detection_policy();
    // Logs why pid is not treated as a game, at most once a minute per user and reason: one
    // user's exec flood must not become a journal flood.
    void note_refusal(std::optional<uid_t> uid, uint32_t pid, const std::string& name,
                      const std::string& why);
    void notify_subscribers(const char* what,
                            const std::function<void(const ControllerEvents&)>& call) const;
    void print_stats() const;
    SchedulerConfig scheduler_config(const Options& options) const;
    ApplyOutcome change_options(const Options& next, const std::string& next_profile,
                                const FlagValues& next_custom);
    void notify_properties(const std::vector<std::string>& names) const;
    uint64_t game_threads() const;
    // The learner's side (daemon/ml): what it reads and how its tunables are layered.
    void start_learner();
    void follow_current_game();
    std::optional<ml::Reading> learning_reading(uint32_t pid) const;
    // Options of a profile with, in increasing precedence, the learner's overlay and `custom`.
    Options resolve_options(const std::string& profile, const FlagValues& custom) const;
    void set_overlay(std::optional<std::pair<std::string, FlagValues>> overlay);

    DaemonSettings settings_;
    EventLoop loop_;
    SystemState system_;
    ProfileSet profile_set_;
    std::string profile_;
    FlagValues custom_flags_;
    Options options_;
    std::unique_ptr<ProcReader> proc_;
    std::unique_ptr<SessionOracle> sessions_;
    EligibilityPolicy eligibility_;
    // When each (user, reason) refusal was last logged.
    std::map<std::pair<std::optional<uid_t>, std::string>, std::chrono::steady_clock::time_point>
        refusals_logged_;
    uint64_t detector_drops_seen_ = 0;
    uint64_t detector_misses_seen_ = 0;
    // The scheduler reads the detector's map of game trees as its game map (SchedulerConfig).
    bool shares_game_map_ = false;
    std::chrono::steady_clock::time_point last_rescan_;
    Classifier classifier_;
    GameRegistry games_;
    std::optional<SchedulerBpf> scheduler_;
    std::optional<DetectorBpf> detector_;
    std::vector<ControllerEvents> subscribers_;
    std::chrono::steady_clock::time_point started_;
    int exit_code_ = kExitOk;
    std::unique_ptr<StatsServer> stats_server_;
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<DbusService> dbus_;
    std::unique_ptr<LoaderBusLink> loader_; // companion mode only
    std::unique_ptr<ConfigWatch> config_watch_;
    std::unique_ptr<ml::Learner> learner_;
    struct Overlay {
        std::string label;   // what profile() shows
        FlagValues tunables; // over the profile; custom flags still win
    };
    std::optional<Overlay> overlay_;
    EventSource sighup_;
    struct PendingExec {
        uint64_t exec_ns = 0; // the exec event's kernel timestamp
        unsigned retries = 0;
    };
    std::map<uint32_t, PendingExec> pending_execs_; // by tgid
    // Every game's pidfd, readable once its last thread has exited. The detector reports exits
    // sooner, but the kernel skips a tracing program on a CPU where an instance of it is already
    // running (preempted in it), so that report can go missing; this one cannot.
    struct ExitWatch {
        UniqueFd pidfd;
        EventSource readable; // declared last: released before the fd it watches is closed
    };
    std::map<uint32_t, ExitWatch> exit_watches_; // by tgid
    std::vector<uint32_t> exited_games_;         // pidfds that fired, for remove_exited_games()
    static constexpr auto kExecRetryDelay = std::chrono::milliseconds(1);
    static constexpr unsigned kExecRetries = 50;
    static constexpr auto kRefusalLogInterval = std::chrono::minutes(1);
    // After the ring buffer dropped records (a flood of execs), /proc is scanned again so that a
    // game whose exec record was lost is found; at most this often, as a scan reads every process.
    static constexpr auto kRescanInterval = std::chrono::seconds(2);
    // How often missed runs of the detector's hooks are looked for while games are tracked.
    static constexpr auto kTreeCheckInterval = std::chrono::seconds(2);
    // How often to try the system bus again after losing it (ours and the companion's link): a
    // restarted dbus-daemon is back within a second or two, and a connect attempt costs next to
    // nothing.
    static constexpr auto kBusRetryDelay = std::chrono::seconds(1);

    // Event sources last: they are dropped first, before what their callbacks use.
    EventSource sigint_, sigterm_, scheduler_exit_, detector_events_, stats_timer_,
        exec_retry_timer_, restart_timer_, learning_timer_, bus_retry_timer_, loader_retry_timer_,
        exit_timer_, rescan_timer_, tree_check_timer_;
};

} // namespace scx_gamer
