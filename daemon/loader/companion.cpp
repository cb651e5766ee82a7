// SPDX-License-Identifier: GPL-2.0-only
#include "loader/companion.h"

#include "util/log.h"

#include <utility>

namespace scx_gamer {

namespace {

constexpr auto kGaming = static_cast<uint32_t>(SchedMode::Gaming);

std::string describe(const LoaderState& state) {
    std::string text = state.scheduler;
    if (!state.args.empty()) {
        text += " with arguments";
        for (const auto& arg : state.args)
            text += " " + arg;
        return text;
    }
    if (state.mode <= static_cast<uint32_t>(SchedMode::Server))
        return text + " in mode " +
               std::string(profile_name_of(static_cast<SchedMode>(state.mode)));
    return text + " in mode " + std::to_string(state.mode);
}

} // namespace

void LoaderCompanion::game_started(uint32_t pid, const std::string& name) {
    if (!games_.insert(pid).second)
        return;
    // Only the first game changes scx_loader; later ones run under the mode it already has.
    if (games_.size() == 1) {
        first_game_ = name;
        engage();
    }
}

void LoaderCompanion::game_exited(uint32_t pid) {
    if (games_.erase(pid) == 0)
        return;
    if (games_.empty())
        disengage();
}

void LoaderCompanion::loader_appeared() {
    warned_unavailable_ = false;
    // A new scx_loader process: whatever we did belonged to the one before, and this one may be
    // another version (with or without holds).
    engagement_ = {};
    holds_supported_.reset();
    if (!games_.empty()) {
        log_info("scx_loader appeared on the bus while a game runs");
        engage();
    }
}

void LoaderCompanion::loader_vanished() {
    if (engaged())
        log_notice("scx_loader left the bus; its Gaming mode left with it");
    else if (!warned_unavailable_)
        log_warning("scx_loader is not running; games are still detected, and Gaming mode is "
                    "asked for when it appears");
    warned_unavailable_ = true;
    engagement_ = {};
    holds_supported_.reset();
}

void LoaderCompanion::stop() {
    if (engaged())
        disengage();
    games_.clear();
}

void LoaderCompanion::engage() {
    if (engaged())
        return;
    LoaderState current;
    try {
        current = loader_.state();
    } catch (const LoaderError& e) {
        report(e);
        return;
    }
    warned_unavailable_ = false;
    if (!current.runs_scheduler()) {
        log_notice("scx_loader runs no scheduler: nothing to put into Gaming mode");
        return;
    }
    if (current.mode == kGaming && current.args.empty()) {
        log_info("scx_loader already runs ", describe(current), "; leaving it");
        return;
    }

    // A hold is better than a switch: scx_loader itself restores what ran before, and refuses
    // other changes while the game runs.
    if (holds_supported_.value_or(true)) {
        try {
            const uint32_t cookie = loader_.hold_scheduler(
                current.scheduler, kGaming, "game running: " + first_game_, kLoaderHoldAppId);
            holds_supported_ = true;
            engagement_ = Held{cookie};
            log_notice("scx_loader: holding ", current.scheduler, " in mode gaming (was ",
                       describe(current), ")");
            return;
        } catch (const LoaderError& e) {
            if (e.kind() != LoaderError::Kind::Unsupported) {
                report(e);
                return;
            }
            holds_supported_ = false;
            log_info("scx_loader has no HoldScheduler; switching modes with SwitchScheduler");
        }
    }

    try {
        loader_.switch_scheduler(current.scheduler, kGaming);
        engagement_ = Switched{current, LoaderState{current.scheduler, kGaming, {}}};
        log_notice("scx_loader: switched ", current.scheduler, " to mode gaming (was ",
                   describe(current), ")");
    } catch (const LoaderError& e) {
        report(e);
    }
}

void LoaderCompanion::disengage() {
    const Engagement was = std::exchange(engagement_, Engagement{});
    if (const auto* held = std::get_if<Held>(&was)) {
        try {
            loader_.release_scheduler(held->cookie);
            log_notice("scx_loader: released the Gaming mode hold");
        } catch (const LoaderError& e) {
            report(e);
        }
    } else if (const auto* switched = std::get_if<Switched>(&was)) {
        restore(*switched);
    }
}

void LoaderCompanion::restore(const Switched& switched) {
    LoaderState now;
    try {
        now = loader_.state();
    } catch (const LoaderError& e) {
        report(e);
        return;
    }
    // Someone (a GUI, scxctl) chose another scheduler or mode while the game ran: theirs is the
    // more recent decision.
    if (now != switched.ours) {
        log_notice("scx_loader was changed while the game ran (it runs ", describe(now),
                   "); not restoring ", describe(switched.previous));
        return;
    }
    const LoaderState& previous = switched.previous;
    try {
        if (previous.args.empty())
            loader_.switch_scheduler(previous.scheduler, previous.mode);
        else
            loader_.switch_scheduler_with_args(previous.scheduler, previous.args);
        log_notice("scx_loader: restored ", describe(previous));
    } catch (const LoaderError& e) {
        report(e);
    }
}

void LoaderCompanion::report(const LoaderError& error) {
    if (error.kind() != LoaderError::Kind::Unavailable) {
        log_warning("scx_loader: ", error.what());
        return;
    }
    // Detection goes on without scx_loader; say so once, not at every game.
    if (!warned_unavailable_)
        log_warning("scx_loader is not reachable (", error.what(),
                    "); games are still detected, and Gaming mode is asked for when it appears");
    else
        log_debug("scx_loader still not reachable: ", error.what());
    warned_unavailable_ = true;
}

} // namespace scx_gamer
