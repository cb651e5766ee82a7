// SPDX-License-Identifier: GPL-2.0-only
// The Daemon's wiring: its parts, the event loop's sources, the interfaces' start and the stats.
// What it answers to its interfaces (Controller) is in daemon_controller.cpp.
#include "daemon.h"

#include "bpf_scheduler.h"
#include "config/config_reload.h"
#include "login_sessions.h"
#include "stats/latency.h"
#include "tuning/cpu_list.h"
#include "util/error.h"
#include "util/guard.h"
#include "util/log.h"
#include "util/text.h"

#include <csignal>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace scx_gamer {

namespace {

const char* hook_name(DetectorHook hook) {
    return hook == DetectorHook::Lsm ? "bpf-lsm" : "tracepoint";
}

} // namespace

Daemon::Daemon(DaemonSettings settings)
    : settings_(std::move(settings)), profile_(settings_.profile),
      custom_flags_(settings_.custom_flags), sessions_(std::make_unique<LoginSessions>()),
      started_(std::chrono::steady_clock::now()) {
    DetectionClocks clocks;
    clocks.monotonic_ns = monotonic_ns;
    clocks.realtime_us = realtime_us;
    pipeline_ = std::make_unique<DetectionPipeline>(
        settings_.rules_path,
        DetectionDeps{proc_, *sessions_, processes_, exit_watches_, timers_, std::move(clocks),
                      [this] { supervisor_->trees_changed(); }});
    ProfileLoad loaded = load_profiles("/");
    for (const std::string& warning : loaded.warnings)
        log_warning(warning);
    if (loaded.source)
        log_info("profiles from ", loaded.source->string());
    profile_set_ = std::move(loaded.profiles);
    const Profile* chosen = profile_set_.find(profile_);
    if (!chosen)
        throw UnknownProfile("unknown profile " + quote_for_message(profile_));
    supervisor_ = std::make_unique<SchedulerSupervisor>(
        profile_set_.resolve(*chosen, custom_flags_),
        SupervisorDeps{bpf_scheduler_loader(loop_),
                       [this](const Options& options) { return scheduler_config(options); },
                       [this] { return pipeline_->games().games(); }, timers_,
                       [this](int code) {
                           exit_code_ = code;
                           loop_.exit(code);
                       },
                       [this](const SchedulerExit& exit) {
                           // Clients hear it before the daemon leaves the bus: the signals are
                           // queued on the connection now and flushed when it closes.
                           notify_properties({"SchedulerState"});
                           for (const auto& subscriber : subscribers_)
                               if (subscriber.scheduler_exited)
                                   subscriber.scheduler_exited(exit.reason, exit.msg);
                       }});
    set_log_verbose(options().verbose);

    // What else must happen when a game appears or leaves (the pipeline has the detector's side),
    // in one place. Each listener runs behind the registry's barrier, so a failure in one (a BPF
    // map error) does not skip the others: the scheduler first, then scx_loader, then the log and
    // the bus.
    GameRegistry& games = pipeline_->games();
    games.on_added([this](const Game& game) { supervisor_->game_added(game); });
    games.on_added([this](const Game& game) {
        if (loader_)
            loader_->game_started(game);
    });
    games.on_added([this](const Game& game) {
        log_notice("game detected: ", game.name, " (pid ", game.pid, ", ", game.reason, ")");
        notify_subscribers("GameDetected", [&](const ControllerEvents& subscriber) {
            if (subscriber.game_detected)
                subscriber.game_detected(game);
        });
        follow_current_game(); // after GameDetected: its learned profile shows as Profile next
    });
    games.on_removed([this](const Game& game) { supervisor_->game_removed(game); });
    games.on_removed([this](const Game& game) {
        if (loader_)
            loader_->game_exited(game);
    });
    games.on_removed([this](const Game& game) {
        log_notice("game exited: ", game.name, " (pid ", game.pid, ")");
        notify_subscribers("GameExited", [&](const ControllerEvents& subscriber) {
            if (subscriber.game_exited)
                subscriber.game_exited(game);
        });
        follow_current_game();
    });
}

Daemon::~Daemon() = default;

int Daemon::run() {
    // A companion leaves the kernel to scx_loader's scheduler: nothing of ours to attach.
    if (auto blocker = settings_.loader_companion ? std::nullopt : attach_blocker(system_)) {
        log_err(*blocker);
        return kExitFailure;
    }
    sigint_ = loop_.on_signal("SIGINT", SIGINT, [this] { loop_.exit(kExitOk); });
    sigterm_ = loop_.on_signal("SIGTERM", SIGTERM, [this] { loop_.exit(kExitOk); });
    sighup_ = loop_.on_signal("SIGHUP", SIGHUP, [this] { reload_config("SIGHUP"); });
    config_watch_ =
        std::make_unique<ConfigWatch>(loop_, config_files("/", settings_.rules_path),
                                      [this] { reload_config("a configuration file changed"); });
    start_learner(); // before the scan: a game found running is followed at once

    start_detector(); // first: the scheduler reads the detector's map of game trees
    if (!settings_.loader_companion)
        supervisor_->attach();
    pipeline_->scan_running_processes();
    // The stock scheduler serves the scx_stats socket itself; ours would take its path over.
    if (!settings_.loader_companion)
        start_stats_server();
    start_dbus();
    if (settings_.loader_companion)
        start_companion();
    restart_stats_timer();

    if (settings_.loader_companion)
        log_info("ready: companion of scx_loader (scheduler ", GAMER_OPS_NAME,
                 " not attached), detector: ", detection_method());
    else
        log_info("ready: scheduler ", GAMER_OPS_NAME, " attached, profile ", profile_,
                 ", detector: ", detection_method());
    if (settings_.loader_companion)
        sd_notify(0, "READY=1\nSTATUS=Detecting games for scx_loader (companion mode)");
    else
        sd_notifyf(0, "READY=1\nSTATUS=Scheduling (profile %s)", profile_.c_str());

    loop_.run();
    sd_notify(0, "STOPPING=1");
    loader_presence_.reset();
    loader_.reset(); // gives scx_loader back what it ran before a game that still runs
    dbus_presence_.reset();
    dbus_.reset();
    bus_.reset();
    stats_server_.reset();
    // Dropping the scheduler destroys its struct_ops link: the kernel falls back to its default.
    supervisor_->detach();
    detector_events_ = {};
    pipeline_->set_detector(nullptr);
    detector_port_.reset();
    detector_.reset();
    return exit_code_;
}

// Everything about a scheduler that can be wrong (CPUs that do not exist...) fails here, before a
// running scheduler is touched.
SchedulerConfig Daemon::scheduler_config(const Options& options) const {
    SchedulerConfig config{to_tunables(options)};
    config.primary_cpus = resolve_primary_domain(options.primary_domain);
    config.daemon_tgid = static_cast<uint32_t>(getpid());
    config.exit_dump_len = options.exit_dump_len;
    config.game_map_fd = detector_ ? detector_->game_map_fd() : -1;
    config.verbose = options.verbose;
    return config;
}

void Daemon::start_detector() {
    DetectorHook hook = DetectorHook::Lsm;
    if (!system_.bpf_lsm_active()) {
        log_warning("BPF-LSM is not active (the kernel's lsm= list lacks \"bpf\"); "
                    "detecting games through tracepoints instead");
        hook = DetectorHook::Tracepoint;
    }
    detector_.emplace(DetectorBpf::open_and_load(hook, static_cast<uint32_t>(getpid())));
    detector_->attach();
    pipeline_->set_detector(&detector_port_.emplace(*detector_));
    detector_events_ = loop_.watch_readable("detector events", detector_->event_fd(),
                                            [this] { pipeline_->on_detector_events(); });
}

void Daemon::start_stats_server() {
    if (settings_.stats_socket.empty())
        return;
    try {
        stats_server_ = std::make_unique<StatsServer>(loop_, settings_.stats_socket,
                                                      [this] { return stats(); });
    } catch (const Error& e) {
        log_warning("not serving scx_stats: ", e.what());
    }
}

// Without a system bus (early boot, a broken bus) the scheduler still runs: D-Bus is how users
// reach the daemon, not what it needs to schedule. A bus lost later (stopped, or restarted by an
// administrator) is connected to again, rather than exit and leave the machine on the kernel's
// default scheduler until a restart.
void Daemon::start_dbus() {
    dbus_presence_ = std::make_unique<BusPresence>(
        timers_, "system bus reconnect",
        [this](std::function<void()> lost) {
            bus_ = DbusService::connect_system_bus();
            dbus_ = DbusService::start(*bus_, loop_.get(), *this, settings_.version);
            dbus_->on_disconnect(std::move(lost));
        },
        [this] {
            dbus_.reset();
            bus_.reset();
        },
        BusPresence::Messages{"", "not serving org.cachyos.ScxGamer on the system bus: ",
                              "lost the system bus; scheduling goes on, reconnecting",
                              "reconnected to the system bus"},
        false);
    dbus_presence_->start();
}

// Without a system bus there is no scx_loader to talk to: detection goes on, and the link is
// tried again until a bus is there, as after losing it. A dead link's calls fail quietly;
// scx_loader dropped our holds itself.
void Daemon::start_companion() {
    loader_presence_ = std::make_unique<BusPresence>(
        timers_, "scx_loader reconnect",
        [this](std::function<void()> lost) {
            loader_ = LoaderBusLink::start(loop_.get());
            loader_->on_disconnect(std::move(lost));
            for (const Game& game : pipeline_->games().games()) // found before this link existed
                loader_->game_started(game);
        },
        [this] { loader_.reset(); },
        BusPresence::Messages{"companion mode: ", "cannot reach the system bus (trying again): ",
                              "lost the system bus; detection goes on, reconnecting",
                              "connected to the system bus again"},
        true);
    loader_presence_->start();
}

// SIGHUP, or an edit of a watched file. A bad edit is logged (file:line:col) and keeps what
// worked; a changed running profile is applied live, as SetProfile would.
void Daemon::reload_config(const char* why) {
    log_info("reloading game rules and profiles (", why, ")");
    pipeline_->reload_rules();
    ProfileReload reload = reload_profiles(profile_set_, profile_);
    for (const std::string& warning : reload.warnings)
        log_warning(warning);
    if (!reload.changed)
        return;
    profile_set_ = std::move(reload.profiles);
    log_info("profiles reloaded from ",
             reload.source ? reload.source->string() : std::string("the built-in table"));
    if (!reload.active_changed)
        return;
    try {
        change_options(resolve_options(profile_, custom_flags_), profile_, custom_flags_);
    } catch (const std::exception& e) {
        log_err("applying the reloaded profile ", profile_, ": ", e.what());
    }
}

void Daemon::notify_subscribers(const char* what,
                                const std::function<void(const ControllerEvents&)>& call) const {
    for (const auto& subscriber : subscribers_)
        run_guarded(std::string("sending ") + what, [&] { call(subscriber); });
}

void Daemon::notify_properties(const std::vector<std::string>& names) const {
    for (const auto& subscriber : subscribers_)
        if (subscriber.properties_changed)
            subscriber.properties_changed(names);
}

StatsMap Daemon::stats() const {
    StatsMap out;
    const auto uptime = std::chrono::steady_clock::now() - started_;
    out["uptime_s"] =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
    out["scheduler_state"] = scheduler_state();
    out["profile"] = profile(); // "learned:KEY" while a learned profile applies, as on D-Bus
    pipeline_->add_stats(out);
    const Scheduler* scheduler = supervisor_->scheduler();
    if (!scheduler)
        return out;
    const auto counters = scheduler->stats();
    for (const SchedulerCounter& counter : scheduler_counters())
        out[std::string(counter.name)] = counters[counter.index];
    std::string targets;
    for (const uint64_t target : scheduler->cpu_perf_targets())
        targets += (targets.empty() ? "" : " ") + std::to_string(target);
    out["cpuperf_targets"] = targets;
    const auto histogram = scheduler->latency_histogram();
    out["game_wakeup_p50_us"] = latency_quantile_ns(histogram, 0.50) / 1000;
    out["game_wakeup_p99_us"] = latency_quantile_ns(histogram, 0.99) / 1000;
    out["game_wakeup_p999_us"] = latency_quantile_ns(histogram, 0.999) / 1000;
    // What the scheduler really uses, read from its live BPF data (not from our Options).
    const gamer_tunables live = scheduler->tunables();
    out["bpf_slice_us"] = live.slice_ns / 1000;
    out["bpf_game_slice_us"] = live.game_slice_ns / 1000;
    out["bpf_wakeup_timer_us"] = live.wakeup_timer_ns / 1000;
    return out;
}

// Keys that stats() leaves out (no scheduler attached: companion mode) print as "-".
void Daemon::print_stats() const {
    const StatsMap s = stats();
    auto u = [&](const char* key) {
        const auto it = s.find(key);
        const auto* value = it == s.end() ? nullptr : std::get_if<uint64_t>(&it->second);
        return value ? std::to_string(*value) : std::string("-");
    };
    log_info("stats: games=", u("nr_games"), " game_threads=", u("nr_game_threads"),
             " dispatched=", u("nr_dispatched"), " direct=", u("nr_direct_dispatched"),
             " kicks=", u("nr_kicks"), " game_wakeup_p99=", u("game_wakeup_p99_us"), "us",
             " detection_p50=", u("detection_p50_us"), "us detection_p99=", u("detection_p99_us"),
             "us");
}

void Daemon::restart_stats_timer() {
    stats_timer_ = {};
    if (options().stats_secs > 0)
        stats_timer_ = loop_.every("stats", std::chrono::seconds(options().stats_secs),
                                   [this] { print_stats(); });
}

std::string Daemon::scheduler_state() const {
    if (settings_.loader_companion)
        return "companion";
    const Scheduler* scheduler = supervisor_->scheduler();
    if (!scheduler || !scheduler->attached())
        return "detached";
    return system_.sched_ext_state();
}

std::string Daemon::detection_method() const {
    return detector_ ? hook_name(detector_->hook()) : "none";
}

} // namespace scx_gamer
