// SPDX-License-Identifier: GPL-2.0-only
#include "scheduler_supervisor.h"

#include "service/exit_codes.h"
#include "util/log.h"

namespace scx_gamer {

SchedulerSupervisor::SchedulerSupervisor(Options options, SupervisorDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {
    restart_timer_ = deps_.timers.timer("scheduler restart", [this] { restart(); });
}

void SchedulerSupervisor::attach() {
    load(deps_.config(options_));
}

void SchedulerSupervisor::detach() {
    scheduler_.reset();
}

void SchedulerSupervisor::load(const SchedulerConfig& config) {
    scheduler_ = deps_.load(config, [this] { on_exit(); });
    shares_game_map_ = config.game_map_fd >= 0; // then the games are in the map already
    if (!shares_game_map_)
        for (const Game& game : deps_.games())
            scheduler_->add_game(game.pid);
}

void SchedulerSupervisor::game_added(const Game& game) {
    if (scheduler_ && shares_game_map_)
        scheduler_->games_changed();
    else if (scheduler_)
        scheduler_->add_game(game.pid);
}

void SchedulerSupervisor::game_removed(const Game& game) {
    if (scheduler_ && shares_game_map_)
        scheduler_->games_changed();
    else if (scheduler_)
        scheduler_->remove_game(game.pid);
}

void SchedulerSupervisor::trees_changed() {
    if (scheduler_ && shares_game_map_)
        scheduler_->games_changed();
}

SchedulerSupervisor::Change SchedulerSupervisor::change(const Options& next) {
    Change change;
    change.changes = diff(options_, next);
    if (required_apply_mode(change.changes) == ApplyMode::Reload && scheduler_) {
        const SchedulerConfig config = deps_.config(next); // throws before anything changes
        log_notice("re-attaching the scheduler for: ", to_command_line(change.changes));
        scheduler_.reset();
        try {
            load(config);
        } catch (const std::exception& e) {
            log_err("re-attaching with the new flags failed (", e.what(),
                    "); restoring the previous");
            scheduler_.reset();
            try {
                load(deps_.config(options_));
            } catch (const std::exception& again) {
                log_err("restoring the previous scheduler failed too (", again.what(),
                        "); exiting so that the service manager starts scx_gamer again");
                deps_.exit(kExitFailure);
            }
            throw;
        }
        change.mode = ChangeMode::Reattach;
    } else if (scheduler_) {
        scheduler_->set_tunables(to_tunables(next));
    }
    options_ = next;
    return change;
}

void SchedulerSupervisor::on_exit() {
    auto exit = scheduler_->consume_exit();
    if (!exit)
        return;
    if (exit->restart_requested()) {
        log_notice("the kernel asked for a scheduler restart (", exit->reason, "); re-attaching");
        // Re-attaching replaces the scheduler whose report this is: do it from a timer, once
        // this callback has returned.
        scheduler_->stop_exit_reports();
        restart_timer_->arm(std::chrono::microseconds(0));
        return;
    }
    log_err("scheduler unloaded by the kernel: ", exit->reason, exit->msg.empty() ? "" : " (",
            exit->msg, exit->msg.empty() ? "" : ")");
    if (deps_.ejected)
        deps_.ejected(*exit);
    deps_.exit(kExitKernelEjected);
}

void SchedulerSupervisor::restart() {
    scheduler_.reset();
    try {
        load(deps_.config(options_));
    } catch (const std::exception& e) {
        log_err("re-attaching the scheduler failed: ", e.what());
        deps_.exit(kExitFailure);
    }
}

} // namespace scx_gamer
