#include "daemon.h"

#include "core/error.h"
#include "core/cpu_list.h"
#include "core/latency.h"
#include "core/log.h"
#include "core/proc_reader.h"

#include <csignal>
#include <filesystem>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace scx_gamer {

namespace {

uint64_t realtime_us() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

bool process_exists(uint32_t pid) {
    std::error_code ec;
    return std::filesystem::exists("/proc/" + std::to_string(pid), ec);
}

const char* hook_name(DetectorHook hook) {
    return hook == DetectorHook::Lsm ? "bpf-lsm" : "tracepoint";
}

} // namespace

Daemon::Daemon(DaemonSettings settings)
    : settings_(std::move(settings)),
      profile_(settings_.profile), custom_flags_(settings_.custom_flags),
      proc_(std::make_unique<LinuxProcReader>()), started_(std::chrono::steady_clock::now()) {
    classifier_.reload_rules(settings_.rules_path); // logs and keeps no rules when invalid
    ProfileLoad loaded = load_profiles("/");
    for (const std::string& warning : loaded.warnings)
        log_warning(warning);
    if (loaded.source)
        log_info("profiles from ", loaded.source->string());
    profile_set_ = std::move(loaded.profiles);
    const Profile* chosen = profile_set_.find(profile_);
    if (!chosen)
        throw UnknownProfile("unknown profile '" + profile_ + "'");
    options_ = profile_set_.resolve(*chosen, custom_flags_);
    set_log_verbose(options_.verbose);

    // What must happen when a game appears or leaves, in one place.
    games_.on_added([this](const Game& game) {
        if (scheduler_)
            scheduler_->add_game(game.pid);
        if (detector_)
            detector_->watch(game.pid);
        log_notice("game detected: ", game.name, " (pid ", game.pid, ", ", game.reason, ")");
        for (const auto& subscriber : subscribers_)
            if (subscriber.game_detected)
                subscriber.game_detected(game);
    });
    games_.on_removed([this](const Game& game) {
        if (scheduler_)
            scheduler_->remove_game(game.pid);
        if (detector_)
            detector_->unwatch(game.pid);
        log_notice("game exited: ", game.name, " (pid ", game.pid, ")");
        for (const auto& subscriber : subscribers_)
            if (subscriber.game_exited)
                subscriber.game_exited(game);
    });
}

Daemon::~Daemon() = default;

int Daemon::run() {
    if (auto blocker = attach_blocker(system_)) {
        log_err(*blocker);
        return kExitFailure;
    }
    exec_retry_timer_ = loop_.timer([this] { retry_pending_execs(); });
    sigint_ = loop_.on_signal(SIGINT, [this] { loop_.exit(kExitOk); });
    sigterm_ = loop_.on_signal(SIGTERM, [this] { loop_.exit(kExitOk); });

    attach_scheduler();
    start_detector();
    scan_running_processes();
    start_stats_server();
    start_dbus();
    if (options_.stats_secs > 0)
        stats_timer_ = loop_.every(std::chrono::seconds(options_.stats_secs),
                                   [this] { print_stats(); });

    log_info("ready: scheduler ", GAMER_OPS_NAME, " attached, profile ", profile_,
             ", detector: ", detection_method());
    sd_notifyf(0, "READY=1\nSTATUS=Scheduling (profile %s)", profile_.c_str());

    loop_.run();
    sd_notify(0, "STOPPING=1");
    dbus_.reset();
    bus_.reset();
    stats_server_.reset();
    // Dropping the scheduler destroys its struct_ops link: the kernel falls back to its default.
    scheduler_.reset();
    detector_.reset();
    return exit_code_;
}

void Daemon::attach_scheduler() {
    SchedulerConfig config;
    config.tunables = to_tunables(options_);
    config.primary_cpus = resolve_primary_domain(options_.primary_domain);
    config.exit_dump_len = options_.exit_dump_len;
    config.verbose = options_.verbose;
    scheduler_.emplace(SchedulerBpf::open_and_load(config));
    scheduler_->attach();
    for (const Game& game : games_.games())
        scheduler_->add_game(game.pid);
    scheduler_exit_ = loop_.watch_readable(scheduler_->exit_fd(), [this] { on_scheduler_exit(); });
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
    detector_events_ =
        loop_.watch_readable(detector_->event_fd(), [this] { on_detector_events(); });
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
// reach the daemon, not what it needs to schedule.
void Daemon::start_dbus() {
    try {
        bus_ = DbusService::connect_system_bus();
        dbus_ = DbusService::start(*bus_, loop_.get(), *this, settings_.version);
    } catch (const std::exception& e) {
        dbus_.reset();
        bus_.reset();
        log_warning("not serving org.cachyos.ScxGamer on the system bus: ", e.what());
    }
}

void Daemon::on_scheduler_exit() {
    auto exit = scheduler_->consume_exit();
    if (!exit)
        return;
    if (exit->restart_requested()) {
        log_notice("the kernel asked for a scheduler restart (", exit->reason, "); re-attaching");
        scheduler_exit_ = {};
        scheduler_.reset();
        attach_scheduler();
        return;
    }
    log_err("scheduler unloaded by the kernel: ", exit->reason,
            exit->msg.empty() ? "" : " (", exit->msg, exit->msg.empty() ? "" : ")");
    exit_code_ = kExitKernelEjected;
    loop_.exit(kExitKernelEjected);
}

void Daemon::on_detector_events() {
    detector_->consume([this](const gamer_event& event) { handle_event(event); });
}

void Daemon::handle_event(const gamer_event& event) {
    switch (event.kind) {
    case GAMER_EV_EXEC:
        if (!exec_finished(event.tgid)) {
            defer_exec(event.tgid);
            break;
        }
        consider(event.tgid, "exec");
        break;
    case GAMER_EV_RENAME:
        if (!games_.find(event.tgid))
            consider(event.tgid, "rename");
        break;
    case GAMER_EV_EXIT:
        games_.remove(event.tgid);
        break;
    default:
        log_debug("detector: ignoring event of unknown kind ", event.kind);
    }
}

// The LSM exec hook (bprm_committed_creds) runs before the new image's arguments and environment
// are mapped: until exec finishes, /proc/PID/{cmdline,environ} read empty. An empty cmdline of a
// user process therefore means "not yet"; such execs are retried shortly, a bounded few times
// (a process may really have an empty argv).
bool Daemon::exec_finished(uint32_t tgid) const {
    auto cmdline = proc_->cmdline(static_cast<pid_t>(tgid));
    return !cmdline || !cmdline->empty(); // gone (nothing to wait for) or arguments visible
}

void Daemon::defer_exec(uint32_t tgid) {
    pending_execs_.try_emplace(tgid, 0);
    exec_retry_timer_.arm(kExecRetryDelay);
}

void Daemon::retry_pending_execs() {
    std::vector<uint32_t> ready;
    for (auto it = pending_execs_.begin(); it != pending_execs_.end();) {
        if (exec_finished(it->first) || ++it->second >= kExecRetries) {
            ready.push_back(it->first);
            it = pending_execs_.erase(it);
        } else {
            ++it;
        }
    }
    for (uint32_t tgid : ready)
        consider(tgid, "exec");
    if (!pending_execs_.empty())
        exec_retry_timer_.arm(kExecRetryDelay);
}

// Classifies a process and adds it to (or, after an exec into a non-game, drops it from) the
// registry. Explicit registrations are never second-guessed.
void Daemon::consider(uint32_t tgid, const char* trigger) {
    auto info = read_process_info(*proc_, static_cast<pid_t>(tgid));
    if (!info)
        return; // gone already: nothing to do
    const Verdict verdict = classifier_.classify(*info);
    log_debug("classified pid ", tgid, " (", trigger, "): ", verdict.is_game ? "game" : "not a game",
              ", ", verdict.reason);
    const Game* known = games_.find(tgid);
    if (known) {
        if (!verdict.is_game && !known->registered_by)
            games_.remove(tgid);
        return;
    }
    if (!verdict.is_game)
        return;
    games_.add(Game{tgid, verdict.name, info->exe, verdict.reason, realtime_us(), std::nullopt});
    // The exit watch was set after the process may already have exited: check once.
    if (!process_exists(tgid))
        games_.remove(tgid);
}

void Daemon::scan_running_processes() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        try {
            consider(static_cast<uint32_t>(std::stoul(name)), "scan");
        } catch (const std::exception& e) {
            log_debug("scan: skipping ", name, ": ", e.what());
        }
    }
}

uint64_t Daemon::game_threads() const {
    uint64_t threads = 0;
    for (const Game& game : games_.games()) {
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(game.pid) +
                                                           "/task", ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
            threads++;
    }
    return threads;
}

StatsMap Daemon::stats() const {
    StatsMap out;
    const auto uptime = std::chrono::steady_clock::now() - started_;
    out["uptime_s"] = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
    out["scheduler_state"] = scheduler_state();
    out["profile"] = profile_;
    out["nr_game_threads"] = game_threads();
    const Game* current = games_.current();
    out["game_pid"] = current ? current->pid : uint32_t{0};
    out["game_name"] = current ? current->name : std::string{};
    out["nr_games"] = static_cast<uint64_t>(games_.size());
    if (detector_)
        out["nr_detector_drops"] = detector_->dropped();
    if (!scheduler_)
        return out;
    const auto counters = scheduler_->stats();
    out["nr_dispatched"] = counters[GAMER_STAT_DISPATCHED];
    out["nr_direct_dispatched"] = counters[GAMER_STAT_DIRECT_DISPATCHED];
    out["nr_kicks"] = counters[GAMER_STAT_KICKS];
    out["nr_preempt_kicks"] = counters[GAMER_STAT_PREEMPT_KICKS];
    out["nr_game_enqueued"] = counters[GAMER_STAT_GAME_ENQUEUED];
    out["nr_bg_enqueued"] = counters[GAMER_STAT_BG_ENQUEUED];
    out["nr_bg_starve_guard"] = counters[GAMER_STAT_BG_STARVE_GUARD];
    out["nr_migrations"] = counters[GAMER_STAT_MIGRATIONS];
    out["nr_game_wakeups"] = counters[GAMER_STAT_GAME_WAKEUPS];
    const auto histogram = scheduler_->latency_histogram();
    out["game_wakeup_p50_us"] = latency_quantile_ns(histogram, 0.50) / 1000;
    out["game_wakeup_p99_us"] = latency_quantile_ns(histogram, 0.99) / 1000;
    out["game_wakeup_p999_us"] = latency_quantile_ns(histogram, 0.999) / 1000;
    // What the scheduler really uses, read from its live BPF data (not from our Options).
    const gamer_tunables live = scheduler_->tunables();
    out["bpf_slice_us"] = live.slice_ns / 1000;
    out["bpf_game_slice_us"] = live.game_slice_ns / 1000;
    out["bpf_wakeup_timer_us"] = live.wakeup_timer_ns / 1000;
    return out;
}

void Daemon::print_stats() const {
    const StatsMap s = stats();
    auto u = [&](const char* key) { return std::get<uint64_t>(s.at(key)); };
    log_info("stats: games=", u("nr_games"), " game_threads=", u("nr_game_threads"),
             " dispatched=", u("nr_dispatched"), " direct=", u("nr_direct_dispatched"),
             " kicks=", u("nr_kicks"), " game_wakeup_p99=", u("game_wakeup_p99_us"), "us");
}

std::vector<std::string> Daemon::flags() const {
    const Profile* current = profile_set_.find(profile_);
    FlagValues values = current ? current->values : FlagValues{};
    values.merge(custom_flags_);
    return to_args(values);
}

std::string Daemon::scheduler_state() const {
    if (!scheduler_ || !scheduler_->attached())
        return "detached";
    return system_.sched_ext_state();
}

std::string Daemon::detection_method() const {
    return detector_ ? hook_name(detector_->hook()) : "none";
}

std::map<std::string, std::vector<std::string>> Daemon::profiles() const {
    return profile_set_.listing();
}

ApplyOutcome Daemon::set_profile(const std::string& name) {
    const Profile* next = profile_set_.find(name);
    if (!next)
        throw UnknownProfile("unknown profile '" + name + "'");
    return change_options(profile_set_.resolve(*next, custom_flags_), name, custom_flags_);
}

ApplyOutcome Daemon::apply_flags(const std::vector<std::string>& args) {
    const FlagValues given = parse_flags(args); // throws FlagError before anything changes
    FlagValues next_custom = custom_flags_;
    next_custom.merge(given);
    const Profile* current = profile_set_.find(profile_);
    return change_options(profile_set_.resolve(*current, next_custom), profile_, next_custom);
}

ApplyOutcome Daemon::change_options(const Options& next, const std::string& next_profile,
                                    const FlagValues& next_custom) {
    const FlagValues changes = diff(options_, next);
    const ApplyMode mode = required_apply_mode(changes);
    const Options previous = options_;
    options_ = next;
    profile_ = next_profile;
    custom_flags_ = next_custom;
    set_log_verbose(options_.verbose);

    ApplyOutcome outcome;
    if (mode == ApplyMode::Reload && scheduler_) {
        log_notice("re-attaching the scheduler for: ", to_command_line(changes));
        scheduler_exit_ = {};
        scheduler_.reset();
        try {
            attach_scheduler();
        } catch (const std::exception& e) {
            // Keep scheduling with what worked before rather than leave the machine on EEVDF.
            log_err("re-attaching with the new flags failed (", e.what(), "); restoring");
            options_ = previous;
            attach_scheduler();
            throw;
        }
        outcome.mode = ChangeMode::Reattach;
    } else if (scheduler_) {
        scheduler_->set_tunables(to_tunables(options_));
        if (!changes.empty())
            log_info("applied live: ", to_command_line(changes));
    }
    if (previous.stats_secs != options_.stats_secs) {
        stats_timer_ = {};
        if (options_.stats_secs > 0)
            stats_timer_ = loop_.every(std::chrono::seconds(options_.stats_secs),
                                       [this] { print_stats(); });
    }
    outcome.flags = flags();
    notify_properties({"Profile", "Flags"});
    return outcome;
}

void Daemon::register_game(uint32_t pid, const std::string& owner) {
    auto info = read_process_info(*proc_, static_cast<pid_t>(pid));
    if (!info)
        throw Error("no process with pid " + std::to_string(pid));
    if (games_.find(pid))
        return;
    const Verdict verdict = classifier_.classify(*info);
    games_.add(Game{pid, verdict.name, info->exe, std::string(kRegisteredReason), realtime_us(),
                    owner});
}

bool Daemon::unregister_game(uint32_t pid) {
    const Game* game = games_.find(pid);
    if (!game || !game->registered_by)
        return false;
    games_.remove(pid);
    return true;
}

void Daemon::client_vanished(const std::string& owner) { games_.remove_registered_by(owner); }

void Daemon::subscribe(ControllerEvents events) { subscribers_.push_back(std::move(events)); }

void Daemon::notify_properties(const std::vector<std::string>& names) const {
    for (const auto& subscriber : subscribers_)
        if (subscriber.properties_changed)
            subscriber.properties_changed(names);
}

} // namespace scx_gamer
