// SPDX-License-Identifier: GPL-2.0-only
// Records to the registry: classification and its retries, registration. How games end (exit
// reports, pidfds, the members' sweep) is in detection_exits.cpp.
#include "detection_pipeline.h"

#include "util/error.h"
#include "util/guard.h"
#include "util/log.h"
#include "util/text.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace scx_gamer {

namespace {

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

std::string comm_of(const gamer_event& event) {
    return std::string(event.comm, strnlen(event.comm, sizeof(event.comm)));
}

} // namespace

DetectionPipeline::DetectionPipeline(std::filesystem::path rules_path, DetectionDeps deps)
    : rules_path_(std::move(rules_path)), deps_(std::move(deps)) {
    classifier_.reload_rules(rules_path_); // logs and keeps no rules when invalid
    apply_detection_policy();
    exec_retry_timer_ = deps_.timers.timer("exec retry", [this] { retry_pending_execs(); });
    exit_timer_ = deps_.timers.timer("game exits", [this] { remove_exited_games(); });
    rescan_timer_ = deps_.timers.timer("rescan after detector drops", [this] {
        last_rescan_ = deps_.clocks.steady();
        log_info("the detector dropped exec records (", drops_seen_,
                 " so far): scanning running processes for games it missed");
        scan_running_processes();
    });
    adopt_timer_ = deps_.timers.timer("adopt descendants", [this] { adopt_pending_descendants(); });
    tree_check_timer_ = deps_.timers.timer("game tree check", [this] {
        check_detector_misses();
        if (games_.size() > 0)
            tree_check_timer_->arm(kTreeCheckInterval);
    });

    // The detector's map of game trees: watching the game's root there makes it (and, from then
    // on, what it forks) part of the game. Each listener runs behind the registry's barrier.
    games_.on_added([this](const Game& game) {
        if (detector_)
            detector_->watch(game.pid);
    });
    // The processes a new game started before it was one are adopted on the loop's next turn:
    // that walks all of /proc (tens of milliseconds under TCG), and the scheduler and the bus
    // hear of the game first. What it forks from now on joins its tree in the kernel.
    games_.on_added([this](const Game& game) {
        watch_exit(game.pid);
        adoptions_.push_back(game.pid);
        adopt_timer_->arm(std::chrono::microseconds(0));
        if (games_.size() == 1) // the first game: the check runs while games are tracked
            tree_check_timer_->arm(kTreeCheckInterval);
    });
    games_.on_removed([this](const Game& game) {
        if (detector_)
            detector_->unwatch(game.pid); // its whole tree
    });
    games_.on_removed([this](const Game& game) { deps_.exits.unwatch(game.pid); });
}

void DetectionPipeline::on_detector_events() {
    if (!detector_)
        return;
    // One bad record must not keep the others of this batch from being handled.
    detector_->consume([this](const DetectorRecord& record) {
        const TimePoint read_at = deps_.clocks.steady();
        run_guarded("handling a detector record of pid " + std::to_string(record.event.tgid),
                    [&] { handle_record(record, read_at); });
    });
    if (const uint64_t drops = detector_->dropped(); drops != drops_seen_) {
        drops_seen_ = drops;
        rescan_after_drops();
        check_game_trees(); // a tree's end may have been among the records lost
    }
    check_detector_misses();
}

void DetectionPipeline::rescan_after_drops() {
    const auto since = deps_.clocks.steady() - last_rescan_;
    const auto wait = since >= kRescanInterval ? std::chrono::steady_clock::duration::zero()
                                               : kRescanInterval - since;
    rescan_timer_->arm(std::chrono::duration_cast<std::chrono::microseconds>(wait));
}

void DetectionPipeline::reload_rules() {
    const GameRules previous_rules = classifier_.rules();
    if (classifier_.reload_rules(rules_path_) && !(classifier_.rules() == previous_rules)) {
        apply_detection_policy();
        scan_running_processes(); // a new rule may make a running process a game, or not one
    }
}

void DetectionPipeline::apply_detection_policy() {
    const DetectionPolicy& policy = classifier_.rules().detection();
    std::vector<std::string> unknown;
    eligibility_ = EligibilityPolicy::resolve(policy, &unknown);
    for (const std::string& user : unknown)
        log_warning(rules_path_.string(), ": [detection] allow_users names ",
                    quote_for_message(user), ", which is no user here; ignored");
    games_.set_limits(policy.limits);
}

void DetectionPipeline::note_refusal(std::optional<uid_t> uid, uint32_t pid,
                                     const std::string& name, const std::string& why) {
    const auto now = deps_.clocks.steady();
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

void DetectionPipeline::handle_record(const DetectorRecord& record, TimePoint read_at) {
    const gamer_event& event = record.event;
    switch (event.kind) {
    case GAMER_EV_EXEC:
        consider_exec(record, read_at);
        break;
    case GAMER_EV_RENAME:
        if (event.flags & GAMER_EVF_WATCHED && !games_.find(event.tgid))
            check_tree_member(event.tgid,
                              read_process_info(deps_.proc, static_cast<pid_t>(event.tgid)));
        else if (!games_.find(event.tgid))
            consider(event.tgid, "rename");
        break;
    case GAMER_EV_JOIN:
        log_debug("pid ", event.tgid, " (", comm_of(event), ") joined game ", event.root,
                  ": inherited from pid ", event.ppid);
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
void DetectionPipeline::consider_exec(const DetectorRecord& record, TimePoint read_at) {
    const gamer_event& event = record.event;
    const auto tgid = static_cast<pid_t>(event.tgid);
    // A process of a game's tree that is no game's root: it is part of that game already, unless
    // it now runs a helper that is not.
    // (The record's flag says so as of the exec; a process the daemon adopted since is asked.)
    if (!games_.find(event.tgid) &&
        (event.flags & GAMER_EVF_WATCHED || (detector_ && detector_->tree_of(event.tgid)))) {
        check_tree_member(
            event.tgid, record.exec
                            ? process_info_at_exec(deps_.proc, tgid, static_cast<pid_t>(event.ppid),
                                                   event.uid, comm_of(event), *record.exec)
                            : read_process_info(deps_.proc, tgid));
        return;
    }
    const ExecOrigin origin{event.ts_ns, read_at};
    if (record.exec && record.exec->complete) {
        register_if_game(event.tgid,
                         process_info_at_exec(deps_.proc, tgid, static_cast<pid_t>(event.ppid),
                                              event.uid, comm_of(event), *record.exec),
                         "exec", origin);
        return;
    }
    if (!exec_finished(event.tgid)) {
        pending_execs_.try_emplace(event.tgid, PendingExec{origin, 0});
        exec_retry_timer_->arm(kExecRetryDelay);
        return;
    }
    consider(event.tgid, "exec", origin);
}

// Until an exec finishes, /proc/PID/{cmdline,environ} read empty. An empty cmdline of a user
// process therefore means "not yet"; such execs are retried shortly, a bounded few times (a
// process may really have an empty argv).
bool DetectionPipeline::exec_finished(uint32_t tgid) const {
    auto cmdline = deps_.proc.cmdline(static_cast<pid_t>(tgid));
    return !cmdline || !cmdline->empty(); // gone (nothing to wait for) or arguments visible
}

void DetectionPipeline::retry_pending_execs() {
    std::vector<std::pair<uint32_t, ExecOrigin>> ready;
    for (auto it = pending_execs_.begin(); it != pending_execs_.end();) {
        if (exec_finished(it->first) || ++it->second.retries >= kExecRetries) {
            ready.emplace_back(it->first, it->second.origin);
            it = pending_execs_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [tgid, origin] : ready)
        consider(tgid, "exec", origin);
    if (!pending_execs_.empty())
        exec_retry_timer_->arm(kExecRetryDelay);
}

void DetectionPipeline::consider(uint32_t tgid, const char* trigger,
                                 std::optional<ExecOrigin> origin) {
    register_if_game(tgid, read_process_info(deps_.proc, static_cast<pid_t>(tgid)), trigger,
                     origin);
}

// Classifies a process and adds it to (or, after an exec into a non-game, drops it from) the
// registry. Explicit registrations are never second-guessed.
void DetectionPipeline::register_if_game(uint32_t tgid, const std::optional<ProcessInfo>& info,
                                         const char* trigger, std::optional<ExecOrigin> origin) {
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
    // An exec record says whose the process is, as of the exec; a read of /proc later could meet
    // a process that reused the pid.
    const std::optional<uid_t> uid =
        info->uid ? info->uid : deps_.proc.owner(static_cast<pid_t>(tgid));
    if (const Eligibility eligibility = game_eligibility(uid, eligibility_, deps_.sessions);
        !eligibility.eligible) {
        note_refusal(uid, tgid, verdict.name,
                     std::string("its user is not eligible (") + eligibility.why +
                         "; [detection] in " + rules_path_.string() + ")");
        return;
    }
    const AddResult added =
        games_.add(Game{tgid, verdict.name, info->exe, verdict.reason, deps_.clocks.realtime_us(),
                        std::nullopt, info->steam_app_id, uid});
    if (added == AddResult::user_limit || added == AddResult::total_limit) {
        note_refusal(uid, tgid, verdict.name, limit_reason(added, games_.limits()));
        return;
    }
    if (added != AddResult::added)
        return;
    // The registry's listeners have run: GameDetected is sent (queued on the bus connection).
    if (origin) {
        latency_.record(deps_.clocks.steady() - origin->read_at);
        log_info("detected pid ", tgid, " ",
                 format_ms(deps_.clocks.monotonic_ns() - origin->exec_ns), " ms after its exec");
    }
    // The exit watch was set after the process may already have begun to exit (its exit then
    // went unreported): check once. A zombie still has a /proc entry, so existence is not enough.
    if (!deps_.processes.alive(tgid))
        games_.remove(tgid);
}

void DetectionPipeline::register_game(uint32_t pid, const Registration& registration) {
    auto info = read_process_info(deps_.proc, static_cast<pid_t>(pid));
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
                        info->exe, reason, deps_.clocks.realtime_us(), registration.owner,
                        info->steam_app_id, deps_.proc.owner(static_cast<pid_t>(pid))});
    if (added == AddResult::user_limit || added == AddResult::total_limit)
        throw GameLimitReached("pid " + std::to_string(pid) +
                               " is not registered: " + limit_reason(added, games_.limits()));
    // As for a detected game: a process that had begun to exit has no exit report coming.
    if (added == AddResult::added && !deps_.processes.alive(pid) && !tree_lives(pid))
        games_.remove(pid);
}

bool DetectionPipeline::unregister_game(uint32_t pid) {
    const Game* game = games_.find(pid);
    if (!game || !game->registered_by)
        return false;
    games_.remove(pid);
    return true;
}

void DetectionPipeline::client_vanished(const std::string& owner) {
    games_.remove_registered_by(owner);
}

void DetectionPipeline::scan_running_processes() {
    for (const uint32_t pid : deps_.processes.pids()) {
        try {
            consider(pid, "scan");
        } catch (const std::exception& e) {
            log_debug("scan: skipping ", pid, ": ", e.what());
        }
    }
}

void DetectionPipeline::add_stats(StatsMap& out) const {
    // One read of /proc/PID/stat per game (GameLimits bound how many), not a walk of its tasks.
    uint64_t threads = 0;
    for (const Game& game : games_.games())
        threads += deps_.processes.threads(game.pid).value_or(0);
    out["nr_game_threads"] = threads;
    const Game* current = games_.current();
    out["game_pid"] = current ? current->pid : uint32_t{0};
    out["game_name"] = current ? current->name : std::string{};
    out["nr_games"] = static_cast<uint64_t>(games_.size());
    out["detection_p50_us"] = latency_.quantile_us(0.50);
    out["detection_p99_us"] = latency_.quantile_us(0.99);
    if (detector_) {
        out["nr_detector_drops"] = detector_->dropped();
        out["nr_detector_misses"] = detector_->missed();
        out["nr_tree_full"] = detector_->tree_full();
    }
}

} // namespace scx_gamer
