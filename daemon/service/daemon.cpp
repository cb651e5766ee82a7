// SPDX-License-Identifier: GPL-2.0-only
#include "daemon.h"

#include "config/config_reload.h"
#include "games/proc_reader.h"
#include "login_sessions.h"
#include "ml/game_key.h"
#include "stats/latency.h"
#include "tuning/cpu_list.h"
#include "util/error.h"
#include "util/file_read.h"
#include "util/guard.h"
#include "util/log.h"
#include "util/text.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace scx_gamer {

namespace {

uint64_t realtime_us() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<uint64_t>(now.tv_nsec) / 1000;
}

// Whether pid still runs, as far as its exit report goes: a zombie, or a process already inside
// exit(), may have passed the kernel's exit tracepoint, and a watch set now would never fire.
bool process_alive(uint32_t pid) {
    const auto stat = read_file_prefix("/proc/" + std::to_string(pid) + "/stat", 4096);
    return stat && !stat_says_exiting(*stat);
}

uint64_t monotonic_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now); // the clock of bpf_ktime_get_ns()
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
}

// "12.34": milliseconds with two decimals, for log lines.
std::string format_ms(uint64_t ns) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.2f", static_cast<double>(ns) / 1e6);
    return text;
}

std::string limit_reason(AddResult result, const GameLimits& limits) {
    if (result == AddResult::user_limit)
        return "its user has " + std::to_string(limits.per_user) +
               " games already ([detection] max_games_per_user)";
    return std::to_string(limits.total) + " games are tracked already ([detection] max_games)";
}

const char* hook_name(DetectorHook hook) {
    return hook == DetectorHook::Lsm ? "bpf-lsm" : "tracepoint";
}

} // namespace

Daemon::Daemon(DaemonSettings settings)
    : settings_(std::move(settings)), profile_(settings_.profile),
      custom_flags_(settings_.custom_flags), proc_(std::make_unique<LinuxProcReader>()),
      sessions_(std::make_unique<LoginSessions>()), started_(std::chrono::steady_clock::now()) {
    classifier_.reload_rules(settings_.rules_path); // logs and keeps no rules when invalid
    apply_detection_policy();
    ProfileLoad loaded = load_profiles("/");
    for (const std::string& warning : loaded.warnings)
        log_warning(warning);
    if (loaded.source)
        log_info("profiles from ", loaded.source->string());
    profile_set_ = std::move(loaded.profiles);
    const Profile* chosen = profile_set_.find(profile_);
    if (!chosen)
        throw UnknownProfile("unknown profile " + quote_for_message(profile_));
    options_ = profile_set_.resolve(*chosen, custom_flags_);
    set_log_verbose(options_.verbose);

    // What must happen when a game appears or leaves, in one place. Each listener runs behind
    // the registry's barrier, so a failure in one (a BPF map error) does not skip the others:
    // the kernel's maps first, then scx_loader, then the log and the bus.
    // The detector's map of game trees is the scheduler's game map: watching the game's root
    // there makes it (and, from then on, what it forks) a game for the scheduler.
    games_.on_added([this](const Game& game) {
        if (detector_)
            detector_->watch(game.pid);
        if (scheduler_ && shares_game_map_)
            scheduler_->games_changed();
        else if (scheduler_)
            scheduler_->add_game(game.pid);
    });
    games_.on_added([this](const Game& game) {
        watch_exit(game.pid);
        adopt_descendants(game.pid);
        if (games_.size() == 1) // the first game: the check runs while games are tracked
            tree_check_timer_.arm(kTreeCheckInterval);
    });
    games_.on_added([this](const Game& game) {
        if (loader_)
            loader_->game_started(game);
    });
    games_.on_added([this](const Game& game) {
        log_notice("game detected: ", game.name, " (pid ", game.pid, ", ", game.reason, ")");
        notify_subscribers("GameDetected", [&](const ControllerEvents& subscriber) {
            if (subscriber.game_detected)
                subscriber.game_detected(game);
        });
        follow_current_game(); // after GameDetected: its learned profile shows as Profile next
    });
    games_.on_removed([this](const Game& game) {
        if (detector_)
            detector_->unwatch(game.pid); // its whole tree
        if (scheduler_ && shares_game_map_)
            scheduler_->games_changed();
        else if (scheduler_)
            scheduler_->remove_game(game.pid);
    });
    games_.on_removed([this](const Game& game) { exit_watches_.erase(game.pid); });
    games_.on_removed([this](const Game& game) {
        if (loader_)
            loader_->game_exited(game);
    });
    games_.on_removed([this](const Game& game) {
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
    exec_retry_timer_ = loop_.timer("exec retry", [this] { retry_pending_execs(); });
    restart_timer_ = loop_.timer("scheduler restart", [this] { restart_scheduler(); });
    exit_timer_ = loop_.timer("game exits", [this] { remove_exited_games(); });
    tree_check_timer_ = loop_.timer("game tree check", [this] {
        check_detector_misses();
        if (games_.size() > 0)
            tree_check_timer_.arm(kTreeCheckInterval);
    });
    sigint_ = loop_.on_signal("SIGINT", SIGINT, [this] { loop_.exit(kExitOk); });
    sigterm_ = loop_.on_signal("SIGTERM", SIGTERM, [this] { loop_.exit(kExitOk); });
    sighup_ = loop_.on_signal("SIGHUP", SIGHUP, [this] { reload_config("SIGHUP"); });
    config_watch_ =
        std::make_unique<ConfigWatch>(loop_, config_files("/", settings_.rules_path),
                                      [this] { reload_config("a configuration file changed"); });
    start_learner(); // before the scan: a game found running is followed at once

    start_detector(); // first: the scheduler reads the detector's map of game trees
    if (!settings_.loader_companion)
        attach_scheduler(scheduler_config(options_));
    scan_running_processes();
    // The stock scheduler serves the scx_stats socket itself; ours would take its path over.
    if (!settings_.loader_companion)
        start_stats_server();
    start_dbus();
    if (settings_.loader_companion)
        start_companion();
    rescan_timer_ = loop_.timer("rescan after detector drops", [this] {
        last_rescan_ = std::chrono::steady_clock::now();
        log_info("the detector dropped exec records (", detector_drops_seen_,
                 " so far): scanning running processes for games it missed");
        scan_running_processes();
    });
    if (options_.stats_secs > 0)
        stats_timer_ = loop_.every("stats", std::chrono::seconds(options_.stats_secs),
                                   [this] { print_stats(); });

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
    loader_.reset(); // gives scx_loader back what it ran before a game that still runs
    dbus_.reset();
    bus_.reset();
    stats_server_.reset();
    // Dropping the scheduler destroys its struct_ops link: the kernel falls back to its default.
    scheduler_.reset();
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

void Daemon::attach_scheduler(const SchedulerConfig& config) {
    scheduler_.emplace(SchedulerBpf::open_and_load(config));
    scheduler_->attach();
    shares_game_map_ = config.game_map_fd >= 0; // then the games are in the map already
    if (!shares_game_map_)
        for (const Game& game : games_.games())
            scheduler_->add_game(game.pid);
    scheduler_exit_ = loop_.watch_readable("scheduler exit", scheduler_->exit_fd(),
                                           [this] { on_scheduler_exit(); });
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
    detector_events_ = loop_.watch_readable("detector events", detector_->event_fd(),
                                            [this] { on_detector_events(); });
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
    bus_retry_timer_ = loop_.timer("system bus reconnect", [this] { reconnect_bus(); });
    try {
        serve_dbus();
    } catch (const std::exception& e) {
        log_warning("not serving org.cachyos.ScxGamer on the system bus: ", e.what());
    }
}

void Daemon::serve_dbus() {
    try {
        bus_ = DbusService::connect_system_bus();
        dbus_ = DbusService::start(*bus_, loop_.get(), *this, settings_.version);
        dbus_->on_disconnect([this] { on_bus_lost(); });
    } catch (...) {
        dbus_.reset();
        bus_.reset();
        throw;
    }
}

// The bus daemon went away (stopped, or restarted by an administrator). Scheduling does not
// depend on it, so the daemon stays and serves again once a bus is back, rather than exit and
// leave the machine on the kernel's default scheduler until a restart. This runs inside the dead
// connection's callback: the connection is dropped from the timer.
void Daemon::on_bus_lost() {
    log_warning("lost the system bus; scheduling goes on, reconnecting");
    bus_retry_timer_.arm(std::chrono::microseconds(0));
}

void Daemon::reconnect_bus() {
    dbus_.reset();
    bus_.reset();
    try {
        serve_dbus();
        log_notice("reconnected to the system bus");
    } catch (const std::exception& e) {
        log_debug("the system bus is not back yet: ", e.what());
        bus_retry_timer_.arm(kBusRetryDelay);
    }
}

// Without a system bus there is no scx_loader to talk to: detection goes on, and the link is
// tried again every kBusRetryDelay until a bus is there, as after losing it.
void Daemon::start_companion() {
    loader_retry_timer_ = loop_.timer("scx_loader reconnect", [this] { connect_loader(false); });
    connect_loader(true);
}

void Daemon::connect_loader(bool first_attempt) {
    loader_.reset(); // a dead link: its calls fail quietly, scx_loader dropped our holds itself
    try {
        loader_ = LoaderBusLink::start(loop_.get());
    } catch (const std::exception& e) {
        if (first_attempt)
            log_warning("companion mode: cannot reach the system bus (trying again): ", e.what());
        else
            log_debug("companion mode: the system bus is not back yet: ", e.what());
        loader_retry_timer_.arm(kBusRetryDelay);
        return;
    }
    if (!first_attempt)
        log_notice("companion mode: connected to the system bus again");
    // Called inside the dead connection's callback: the link is dropped from the timer.
    loader_->on_disconnect([this] {
        log_warning("companion mode: lost the system bus; detection goes on, reconnecting");
        loader_retry_timer_.arm(std::chrono::microseconds(0));
    });
    for (const Game& game : games_.games()) // found before this link existed
        loader_->game_started(game);
}

// SIGHUP, or an edit of a watched file. A bad edit is logged (file:line:col) and keeps what
// worked; a changed running profile is applied live, as SetProfile would.
void Daemon::reload_config(const char* why) {
    log_info("reloading game rules and profiles (", why, ")");
    const GameRules previous_rules = classifier_.rules();
    if (classifier_.reload_rules(settings_.rules_path) &&
        !(classifier_.rules() == previous_rules)) {
        apply_detection_policy();
        scan_running_processes(); // a new rule may make a running process a game, or not one
    }
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

void Daemon::on_scheduler_exit() {
    auto exit = scheduler_->consume_exit();
    if (!exit)
        return;
    if (exit->restart_requested()) {
        log_notice("the kernel asked for a scheduler restart (", exit->reason, "); re-attaching");
        // Re-attaching replaces scheduler_exit_, the source whose callback this is: do it from a
        // timer, once this callback has returned.
        scheduler_exit_.disable();
        restart_timer_.arm(std::chrono::microseconds(0));
        return;
    }
    log_err("scheduler unloaded by the kernel: ", exit->reason, exit->msg.empty() ? "" : " (",
            exit->msg, exit->msg.empty() ? "" : ")");
    // Clients hear it before the daemon leaves the bus: the signals are queued on the connection
    // now and flushed when it closes.
    notify_properties({"SchedulerState"});
    for (const auto& subscriber : subscribers_)
        if (subscriber.scheduler_exited)
            subscriber.scheduler_exited(exit->reason, exit->msg);
    exit_code_ = kExitKernelEjected;
    loop_.exit(kExitKernelEjected);
}

void Daemon::restart_scheduler() {
    scheduler_exit_ = {};
    scheduler_.reset();
    try {
        attach_scheduler(scheduler_config(options_));
    } catch (const std::exception& e) {
        log_err("re-attaching the scheduler failed: ", e.what());
        exit_code_ = kExitFailure;
        loop_.exit(kExitFailure);
    }
}

void Daemon::on_detector_events() {
    // One bad record must not keep the others of this batch from being handled.
    detector_->consume([this](const DetectorRecord& record) {
        run_guarded("handling a detector record of pid " + std::to_string(record.event.tgid),
                    [&] { handle_record(record); });
    });
    if (const uint64_t drops = detector_->dropped(); drops != detector_drops_seen_) {
        detector_drops_seen_ = drops;
        rescan_after_drops();
        check_game_trees(); // a tree's end may have been among the records lost
    }
    check_detector_misses();
}

// The kernel skips a run of a hook now and then (it counts it as missed): under a storm of exits,
// the exit hook's, and the members that ended stay in the game map. Their pids could be reused
// by processes that are no game's: they are taken out here, and a tree left empty ends. Members'
// exits send no record, so this is also checked on a timer while games are tracked.
void Daemon::check_detector_misses() {
    if (!detector_)
        return;
    if (const uint64_t misses = detector_->missed(); misses != detector_misses_seen_) {
        detector_misses_seen_ = misses;
        check_game_trees();
    }
}

void Daemon::rescan_after_drops() {
    const auto since = std::chrono::steady_clock::now() - last_rescan_;
    const auto wait = since >= kRescanInterval ? std::chrono::steady_clock::duration::zero()
                                               : kRescanInterval - since;
    rescan_timer_.arm(std::chrono::duration_cast<std::chrono::microseconds>(wait));
}

void Daemon::apply_detection_policy() {
    const DetectionPolicy& policy = classifier_.rules().detection();
    std::vector<std::string> unknown;
    eligibility_ = EligibilityPolicy::resolve(policy, &unknown);
    for (const std::string& user : unknown)
        log_warning(settings_.rules_path.string(), ": [detection] allow_users names ",
                    quote_for_message(user), ", which is no user here; ignored");
    games_.set_limits(policy.limits);
}

void Daemon::note_refusal(std::optional<uid_t> uid, uint32_t pid, const std::string& name,
                          const std::string& why) {
    const auto now = std::chrono::steady_clock::now();
    const auto [last, first] = refusals_logged_.try_emplace({uid, why}, now);
    const std::string who = uid ? "uid " + std::to_string(*uid) : std::string("unknown user");
    if (!first && now - last->second < kRefusalLogInterval) {
        log_debug("not treating pid ", pid, " (", name, ", ", who, ") as a game: ", why);
        return;
    }
    last->second = now;
    log_notice("not treating pid ", pid, " (", name, ", ", who, ") as a game: ", why,
               " (said once a minute per user and reason)");
}

void Daemon::notify_subscribers(const char* what,
                                const std::function<void(const ControllerEvents&)>& call) const {
    for (const auto& subscriber : subscribers_)
        run_guarded(std::string("sending ") + what, [&] { call(subscriber); });
}

void Daemon::handle_record(const DetectorRecord& record) {
    const gamer_event& event = record.event;
    switch (event.kind) {
    case GAMER_EV_EXEC:
        consider_exec(record);
        break;
    case GAMER_EV_RENAME:
        if (event.flags & GAMER_EVF_WATCHED && !games_.find(event.tgid))
            check_tree_member(event.tgid,
                              read_process_info(*proc_, static_cast<pid_t>(event.tgid)));
        else if (!games_.find(event.tgid))
            consider(event.tgid, "rename");
        break;
    case GAMER_EV_JOIN:
        log_debug("pid ", event.tgid, " (",
                  std::string(event.comm, strnlen(event.comm, sizeof(event.comm))),
                  ") joined game ", event.root, ": inherited from pid ", event.ppid);
        break;
    case GAMER_EV_EXIT: // the last process of a game's tree ended
        games_.remove(event.root ? event.root : event.tgid);
        break;
    default:
        log_debug("detector: ignoring event of unknown kind ", event.kind);
    }
}

// An exec record carries the new image's arguments and environment: classifying from them needs
// no wait for /proc, where they appear only once the exec has finished (the LSM hook runs before
// that). A record cut short may lack the Steam app id; only then is /proc read instead.
void Daemon::consider_exec(const DetectorRecord& record) {
    const gamer_event& event = record.event;
    // A process of a game's tree that is no game's root: it is part of that game already, unless
    // it now runs a helper that is not.
    // (The record's flag says so as of the exec; a process the daemon adopted since is asked.)
    if (!games_.find(event.tgid) &&
        (event.flags & GAMER_EVF_WATCHED || (detector_ && detector_->tree_of(event.tgid)))) {
        const std::string comm(event.comm, strnlen(event.comm, sizeof(event.comm)));
        check_tree_member(event.tgid,
                          record.exec ? process_info_at_exec(*proc_, static_cast<pid_t>(event.tgid),
                                                             static_cast<pid_t>(event.ppid), comm,
                                                             *record.exec)
                                      : read_process_info(*proc_, static_cast<pid_t>(event.tgid)));
        return;
    }
    if (record.exec && record.exec->complete) {
        const std::string comm(event.comm, strnlen(event.comm, sizeof(event.comm)));
        register_if_game(event.tgid,
                         process_info_at_exec(*proc_, static_cast<pid_t>(event.tgid),
                                              static_cast<pid_t>(event.ppid), comm, *record.exec),
                         "exec", event.ts_ns);
        return;
    }
    if (!exec_finished(event.tgid)) {
        defer_exec(event.tgid, event.ts_ns);
        return;
    }
    consider(event.tgid, "exec", event.ts_ns);
}

// Until an exec finishes, /proc/PID/{cmdline,environ} read empty. An empty cmdline of a user
// process therefore means "not yet"; such execs are retried shortly, a bounded few times (a
// process may really have an empty argv).
bool Daemon::exec_finished(uint32_t tgid) const {
    auto cmdline = proc_->cmdline(static_cast<pid_t>(tgid));
    return !cmdline || !cmdline->empty(); // gone (nothing to wait for) or arguments visible
}

void Daemon::defer_exec(uint32_t tgid, uint64_t exec_ns) {
    pending_execs_.try_emplace(tgid, PendingExec{exec_ns, 0});
    exec_retry_timer_.arm(kExecRetryDelay);
}

void Daemon::retry_pending_execs() {
    std::vector<std::pair<uint32_t, uint64_t>> ready; // tgid, exec_ns
    for (auto it = pending_execs_.begin(); it != pending_execs_.end();) {
        if (exec_finished(it->first) || ++it->second.retries >= kExecRetries) {
            ready.emplace_back(it->first, it->second.exec_ns);
            it = pending_execs_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [tgid, exec_ns] : ready)
        consider(tgid, "exec", exec_ns);
    if (!pending_execs_.empty())
        exec_retry_timer_.arm(kExecRetryDelay);
}

void Daemon::consider(uint32_t tgid, const char* trigger, uint64_t exec_ns) {
    register_if_game(tgid, read_process_info(*proc_, static_cast<pid_t>(tgid)), trigger, exec_ns);
}

// Classifies a process and adds it to (or, after an exec into a non-game, drops it from) the
// registry. Explicit registrations are never second-guessed.
void Daemon::register_if_game(uint32_t tgid, const std::optional<ProcessInfo>& info,
                              const char* trigger, uint64_t exec_ns) {
    if (!info)
        return; // gone already: nothing to do
    const Verdict verdict = classifier_.classify(*info);
    log_debug("classified pid ", tgid, " (", trigger,
              "): ", verdict.is_game ? "game" : "not a game", ", ", verdict.reason);
    const Game* known = games_.find(tgid);
    if (known) {
        if (!verdict.is_game && !known->registered_by)
            games_.remove(tgid);
        return;
    }
    if (!verdict.is_game)
        return;
    if (const auto root = detector_ ? detector_->tree_of(tgid) : std::nullopt) {
        log_debug("pid ", tgid, " (", verdict.name, ") is a game, and part of game ", *root,
                  " already");
        return;
    }
    const std::optional<uid_t> uid = proc_->owner(static_cast<pid_t>(tgid));
    if (const Eligibility eligibility = game_eligibility(uid, eligibility_, *sessions_);
        !eligibility.eligible) {
        note_refusal(uid, tgid, verdict.name,
                     std::string("its user is not eligible (") + eligibility.why +
                         "; [detection] in " + settings_.rules_path.string() + ")");
        return;
    }
    const AddResult added = games_.add(Game{tgid, verdict.name, info->exe, verdict.reason,
                                            realtime_us(), std::nullopt, info->steam_app_id, uid});
    if (added == AddResult::user_limit || added == AddResult::total_limit) {
        note_refusal(uid, tgid, verdict.name, limit_reason(added, games_.limits()));
        return;
    }
    if (added != AddResult::added)
        return;
    if (exec_ns)
        log_info("detected pid ", tgid, " ", format_ms(monotonic_ns() - exec_ns),
                 " ms after its exec");
    // The exit watch was set after the process may already have begun to exit (its exit then
    // went unreported): check once. A zombie still has a /proc entry, so existence is not enough.
    if (!process_alive(tgid))
        games_.remove(tgid);
}

void Daemon::watch_exit(uint32_t pid) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd) {
        // ESRCH: gone already, which the check after registration sees. Otherwise (EMFILE...)
        // the detector's exit report is all there is.
        if (errno != ESRCH)
            log_warning("cannot watch the exit of game ", pid, ": ", std::strerror(errno));
        return;
    }
    const int fd = pidfd.get();
    ExitWatch& watch = exit_watches_[pid];
    watch.pidfd = std::move(pidfd);
    // The game is removed from a timer: its removal drops this source, which must not happen
    // inside the source's own callback.
    watch.readable = loop_.watch_readable("exit of game " + std::to_string(pid), fd, [this, pid] {
        exit_watches_.at(pid).readable.disable();
        exited_games_.push_back(pid);
        exit_timer_.arm(std::chrono::microseconds(0));
    });
}

// The game's root process has ended. The game goes on while a process of its tree lives; the
// detector reports the end of the last one. This catches what that report may miss.
void Daemon::remove_exited_games() {
    for (const uint32_t pid : std::exchange(exited_games_, {}))
        if (!tree_lives(pid))
            games_.remove(pid);
}

// Whether a process of the game's tree still runs; without a detector the root is the game.
bool Daemon::tree_lives(uint32_t root) const {
    if (!detector_)
        return process_alive(root);
    const auto members = detector_->members(root);
    return std::any_of(members.begin(), members.end(), process_alive);
}

// Every game whose tree has no live process ends; members that ended (their exit unreported)
// leave their tree.
void Daemon::check_game_trees() {
    std::vector<uint32_t> ended;
    bool released_any = false;
    for (const Game& game : games_.games()) {
        if (!detector_) {
            if (!process_alive(game.pid))
                ended.push_back(game.pid);
            continue;
        }
        bool lives = false;
        for (const uint32_t tgid : detector_->members(game.pid)) {
            if (process_alive(tgid)) {
                lives = true;
                continue;
            }
            if (detector_->release(tgid)) {
                released_any = true;
                log_debug("pid ", tgid, " left game ", game.pid, ": it ended unreported");
            }
        }
        if (!lives)
            ended.push_back(game.pid);
    }
    if (released_any && scheduler_ && shares_game_map_)
        scheduler_->games_changed();
    for (const uint32_t pid : ended)
        games_.remove(pid);
}

// A process of a game's tree exec'd or renamed itself: a helper leaves the tree (and is no game
// any more); anything else stays part of the game.
void Daemon::check_tree_member(uint32_t tgid, const std::optional<ProcessInfo>& info) {
    if (!info || !detector_)
        return;
    const auto why = leaves_game_tree(classifier_.rules(), *info);
    if (!why)
        return;
    const auto released = detector_->release(tgid);
    if (!released)
        return;
    if (scheduler_ && shares_game_map_)
        scheduler_->games_changed();
    log_info("pid ", tgid, " (", info->comm, ") left game ", released->root, ": ", *why);
    if (released->tree_emptied)
        games_.remove(released->root);
}

// Processes the root started before it became a game (a launcher found by its exec, a process
// GameMode registers after it forked) join its tree as if they had been forked since. A process
// that ends meanwhile is taken out again: its exit may have passed before it joined.
void Daemon::adopt_descendants(uint32_t root) {
    if (!detector_)
        return;
    std::multimap<uint32_t, uint32_t> children; // ppid -> tgid
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.size() > 10 ||
            name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const uint32_t tgid = static_cast<uint32_t>(std::stoul(name));
        const auto stat = read_file_prefix("/proc/" + name + "/stat", 4096);
        if (const auto ppid = stat ? stat_parent(*stat) : std::nullopt)
            children.emplace(*ppid, tgid);
    }
    std::vector<uint32_t> pending{root};
    for (size_t i = 0; i < pending.size() && pending.size() <= GAMER_MAX_TREE_PROCS; i++) {
        const auto [first, last] = children.equal_range(pending[i]);
        for (auto it = first; it != last; ++it) {
            const uint32_t tgid = it->second;
            const auto info = read_process_info(*proc_, static_cast<pid_t>(tgid));
            if (!info || leaves_game_tree(classifier_.rules(), *info))
                continue;
            if (!detector_->join(tgid, root))
                continue; // a bound reached, or in a tree already
            if (!process_alive(tgid))
                if (const auto released = detector_->release(tgid);
                    released && released->tree_emptied)
                    exited_games_.push_back(root), exit_timer_.arm(std::chrono::microseconds(0));
            log_debug("pid ", tgid, " (", info->comm, ") joined game ", root,
                      ": started by it before it was one");
            pending.push_back(tgid);
        }
    }
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

// One read of /proc/PID/stat per game (GameLimits bound how many), not a walk of its tasks.
uint64_t Daemon::game_threads() const {
    uint64_t threads = 0;
    for (const Game& game : games_.games())
        if (const auto stat = read_file_prefix("/proc/" + std::to_string(game.pid) + "/stat", 4096))
            threads += stat_thread_count(*stat).value_or(0);
    return threads;
}

StatsMap Daemon::stats() const {
    StatsMap out;
    const auto uptime = std::chrono::steady_clock::now() - started_;
    out["uptime_s"] =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
    out["scheduler_state"] = scheduler_state();
    out["profile"] = profile(); // "learned:KEY" while a learned profile applies, as on D-Bus
    out["nr_game_threads"] = game_threads();
    const Game* current = games_.current();
    out["game_pid"] = current ? current->pid : uint32_t{0};
    out["game_name"] = current ? current->name : std::string{};
    out["nr_games"] = static_cast<uint64_t>(games_.size());
    if (detector_) {
        out["nr_detector_drops"] = detector_->dropped();
        out["nr_detector_misses"] = detector_->missed();
        out["nr_tree_full"] = detector_->tree_full();
    }
    if (!scheduler_)
        return out;
    const auto counters = scheduler_->stats();
    for (const SchedulerCounter& counter : scheduler_counters())
        out[std::string(counter.name)] = counters[counter.index];
    std::string targets;
    for (const uint64_t target : scheduler_->cpu_perf_targets())
        targets += (targets.empty() ? "" : " ") + std::to_string(target);
    out["cpuperf_targets"] = targets;
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
             " kicks=", u("nr_kicks"), " game_wakeup_p99=", u("game_wakeup_p99_us"), "us");
}

std::vector<std::string> Daemon::flags() const {
    const Profile* current = profile_set_.find(profile_);
    FlagValues values = current ? current->values : FlagValues{};
    if (overlay_)
        values.merge(overlay_->tunables);
    values.merge(custom_flags_);
    return to_args(values);
}

std::string Daemon::scheduler_state() const {
    if (settings_.loader_companion)
        return "companion";
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
    if (!next) // any string a client sent: quoted, so the error stays one short line
        throw UnknownProfile("unknown profile " + quote_for_message(name));
    // The user's choice replaces whatever the learner applied until the game starts again; if
    // it cannot be applied, the overlay stays as it was.
    std::optional<Overlay> previous_overlay = std::exchange(overlay_, std::nullopt);
    ApplyOutcome outcome;
    try {
        outcome = change_options(resolve_options(name, custom_flags_), name, custom_flags_);
    } catch (...) {
        overlay_ = std::move(previous_overlay);
        throw;
    }
    if (learner_)
        learner_->user_took_over(true);
    return outcome;
}

ApplyOutcome Daemon::apply_flags(const std::vector<std::string>& args) {
    const FlagValues given = parse_flags(args); // throws FlagError before anything changes
    FlagValues next_custom = custom_flags_;
    next_custom.merge(given);
    ApplyOutcome outcome =
        change_options(resolve_options(profile_, next_custom), profile_, next_custom);
    if (learner_) // the user's flags win over a learned profile, and must not be searched
        learner_->user_took_over(false);
    return outcome;
}

// The state is profile_ and custom_flags_ (plus the run options main took), exactly what main
// reads back from `--profile NAME FLAGS...`.
void Daemon::persist() {
    const DaemonSettings defaults;
    DaemonCommandLine state{profile_, custom_flags_, std::nullopt, std::nullopt};
    if (settings_.rules_path != defaults.rules_path)
        state.rules_path = settings_.rules_path;
    if (settings_.stats_socket != defaults.stats_socket)
        state.stats_socket = settings_.stats_socket;
    const PersistOutcome saved = persist_state(state, settings_.service_environment);
    if (!saved.changed) {
        log_info("already saved in ", saved.file.string(), ": ", saved.assignment);
        return;
    }
    log_notice("saved for the next start in ", saved.file.string(), ": ", saved.assignment,
               saved.backup ? " (previous content: " + saved.backup->string() + ")" : "");
}

// Transactional: either every part of the change is in force (the scheduler's tunables or a new
// scheduler, the Profile and Flags properties, what persist() would save) or none is, and the
// caller gets the exception. A failed re-attach brings the previous scheduler back; if even that
// fails the daemon exits (systemd restarts it) rather than run on without a scheduler.
ApplyOutcome Daemon::change_options(const Options& next, const std::string& next_profile,
                                    const FlagValues& next_custom) {
    const FlagValues changes = diff(options_, next);
    const ApplyMode mode = required_apply_mode(changes);

    ApplyOutcome outcome;
    if (mode == ApplyMode::Reload && scheduler_) {
        const SchedulerConfig config = scheduler_config(next); // throws before anything changes
        log_notice("re-attaching the scheduler for: ", to_command_line(changes));
        reattach_scheduler(config);
        outcome.mode = ChangeMode::Reattach;
    } else if (scheduler_) {
        scheduler_->set_tunables(to_tunables(next));
    }

    const Options previous = std::exchange(options_, next);
    profile_ = next_profile;
    custom_flags_ = next_custom;
    set_log_verbose(options_.verbose);
    if (outcome.mode == ChangeMode::Live && scheduler_ && !changes.empty())
        log_info("applied live: ", to_command_line(changes));
    if (previous.stats_secs != options_.stats_secs) {
        stats_timer_ = {};
        if (options_.stats_secs > 0)
            stats_timer_ = loop_.every("stats", std::chrono::seconds(options_.stats_secs),
                                       [this] { print_stats(); });
    }
    outcome.flags = flags();
    notify_properties({"Profile", "Flags"});
    return outcome;
}

void Daemon::reattach_scheduler(const SchedulerConfig& config) {
    scheduler_exit_ = {};
    scheduler_.reset();
    try {
        attach_scheduler(config);
        return;
    } catch (const std::exception& e) {
        log_err("re-attaching with the new flags failed (", e.what(), "); restoring the previous");
        scheduler_exit_ = {};
        scheduler_.reset();
        try {
            attach_scheduler(scheduler_config(options_));
        } catch (const std::exception& again) {
            log_err("restoring the previous scheduler failed too (", again.what(),
                    "); exiting so that the service manager starts scx_gamer again");
            exit_code_ = kExitFailure;
            loop_.exit(kExitFailure);
        }
        throw;
    }
}

void Daemon::register_game(uint32_t pid, const Registration& registration) {
    auto info = read_process_info(*proc_, static_cast<pid_t>(pid));
    if (!info)
        throw Error("no process with pid " + std::to_string(pid));
    if (games_.find(pid))
        return;
    if (const auto root = detector_ ? detector_->tree_of(pid) : std::nullopt) {
        log_info("pid ", pid, " is part of game ", *root, " already");
        return;
    }
    const Verdict verdict = classifier_.classify(*info);
    std::string reason(kRegisteredReason);
    if (!registration.via.empty())
        reason += ":" + registration.via;
    const AddResult added =
        games_.add(Game{pid, registration.name.empty() ? verdict.name : registration.name,
                        info->exe, reason, realtime_us(), registration.owner, info->steam_app_id,
                        proc_->owner(static_cast<pid_t>(pid))});
    if (added == AddResult::user_limit || added == AddResult::total_limit)
        throw GameLimitReached("pid " + std::to_string(pid) +
                               " is not registered: " + limit_reason(added, games_.limits()));
    // As for a detected game: a process that had begun to exit has no exit report coming.
    if (added == AddResult::added && !process_alive(pid) && !tree_lives(pid))
        games_.remove(pid);
}

bool Daemon::unregister_game(uint32_t pid) {
    const Game* game = games_.find(pid);
    if (!game || !game->registered_by)
        return false;
    games_.remove(pid);
    return true;
}

void Daemon::client_vanished(const std::string& owner) {
    games_.remove_registered_by(owner);
}

void Daemon::subscribe(ControllerEvents events) {
    std::erase_if(subscribers_, [](const ControllerEvents& s) { return s.expired(); });
    subscribers_.push_back(std::move(events));
}

Options Daemon::resolve_options(const std::string& profile, const FlagValues& custom) const {
    FlagValues layered = overlay_ ? overlay_->tunables : FlagValues{};
    layered.merge(custom);
    return profile_set_.resolve(*profile_set_.find(profile), layered);
}

void Daemon::set_overlay(std::optional<std::pair<std::string, FlagValues>> overlay) {
    if (!overlay && !overlay_)
        return;
    std::optional<Overlay> previous = std::exchange(
        overlay_, overlay ? std::optional<Overlay>(
                                Overlay{std::move(overlay->first), std::move(overlay->second)})
                          : std::nullopt);
    try {
        change_options(resolve_options(profile_, custom_flags_), profile_, custom_flags_);
    } catch (...) {
        overlay_ = std::move(previous);
        throw;
    }
}

void Daemon::start_learner() {
    if (!settings_.learning.enabled())
        return;
    if (settings_.loader_companion) {
        log_warning("the --ml-* options need scx_gamer's own scheduler: ignored in companion mode");
        return;
    }
    ml::LearnerHost host;
    host.read = [this](uint32_t pid) { return learning_reading(pid); };
    host.in_force = [this](const ml::SearchSpace& space) { return space.values_of(options_); };
    host.base = [this](const ml::SearchSpace& space) {
        return space.values_of(profile_set_.resolve(*profile_set_.find(profile_), custom_flags_));
    };
    host.pinned = [this] {
        std::vector<std::string> names;
        for (const auto& entry : custom_flags_.entries())
            names.emplace_back(entry.spec->name);
        return names;
    };
    host.apply = [this](const std::string& label, const FlagValues& tunables) {
        set_overlay(std::make_pair(label, tunables));
    };
    host.revert = [this] { set_overlay(std::nullopt); };
    host.now = [] { return std::chrono::system_clock::now(); };
    host.ticks_per_second = sysconf(_SC_CLK_TCK);
    learner_ =
        std::make_unique<ml::Learner>(settings_.learning, std::move(host), std::random_device{}());
    log_info("learner: ", settings_.learning.collect ? "collect " : "",
             settings_.learning.autotune ? "autotune " : "",
             settings_.learning.profiles ? "profiles " : "", "in ",
             settings_.learning.state_dir.string());
}

// The learner follows the current game; its window timer runs only while it measures one, so an
// idle daemon still sleeps until the kernel reports an exec.
void Daemon::follow_current_game() {
    if (!learner_)
        return;
    const unsigned before = learner_->sessions_started();
    learner_->follow(games_.current());
    if (!learner_->needs_windows()) {
        learning_timer_ = {};
        return;
    }
    // A new session gets a timer of its own (the last one may have been disabled once done).
    if (!learning_timer_ || learner_->sessions_started() != before)
        learning_timer_ = loop_.every("learner window", settings_.learning.window, [this] {
            learner_->tick();
            if (!learner_->needs_windows())
                learning_timer_.disable(); // autotuning done and nothing to collect
        });
}

std::optional<ml::Reading> Daemon::learning_reading(uint32_t pid) const {
    if (!scheduler_)
        return std::nullopt;
    ml::Reading reading;
    reading.monotonic_ns = monotonic_ns();
    reading.stats = scheduler_->stats();
    reading.latency_histogram = scheduler_->latency_histogram();
    ml::read_cpu_times(reading, pid);
    return reading;
}

std::vector<ml::LearnedProfile> Daemon::learned_profiles() const {
    ml::LearnedList list = ml::list_learned_profiles(settings_.learning.state_dir);
    for (const auto& warning : list.warnings)
        log_warning("learned profiles: ", warning);
    return std::move(list.profiles);
}

ml::LearnedProfile Daemon::learned_profile(const std::string& key) const {
    auto profile = ml::is_valid_key(key)
                       ? ml::load_learned_profile(settings_.learning.state_dir, key)
                       : std::nullopt;
    if (!profile)
        throw UnknownLearnedProfile("no learned profile " + quote_for_message(key));
    return std::move(*profile);
}

std::string Daemon::export_learned_profile(const std::string& key) const {
    auto text = ml::read_learned_profile_text(settings_.learning.state_dir, key);
    if (!text)
        throw UnknownLearnedProfile("no learned profile " + quote_for_message(key));
    return std::move(*text);
}

void Daemon::delete_learned_profile(const std::string& key) {
    if (!ml::delete_learned_profile(settings_.learning.state_dir, key))
        throw UnknownLearnedProfile("no learned profile " + quote_for_message(key));
    log_notice("deleted learned profile ", key);
    if (learner_)
        learner_->learned_profile_deleted(key);
}

void Daemon::notify_properties(const std::vector<std::string>& names) const {
    for (const auto& subscriber : subscribers_)
        if (subscriber.properties_changed)
            subscriber.properties_changed(names);
}

} // namespace scx_gamer
