// SPDX-License-Identifier: GPL-2.0-only
#include "ml/learner.h"

#include "ml/game_key.h"
#include "ml/learned_profile.h"
#include "util/error.h"
#include "util/log.h"

namespace scx_gamer::ml {

struct Learner::Session {
    uint32_t pid = 0;
    std::string key;
    std::string game;
    SearchSpace space;
    // The learned profile applied when the session started (restored after a search).
    std::optional<FlagValues> learned;
    std::unique_ptr<SampleWriter> writer;
    std::optional<Reading> previous;
    std::optional<Autotuner> autotuner;
    FlagValues start;          // the searched tunables in force when the session started
    RunningStats reference_bg; // background CPU of the windows that ran `start`
};

Learner::Learner(LearnerSettings settings, LearnerHost host, uint64_t seed)
    : settings_(std::move(settings)), host_(std::move(host)), seed_(seed) {}

Learner::~Learner() = default;

std::optional<std::string> Learner::key() const {
    return session_ ? std::optional<std::string>(session_->key) : std::nullopt;
}

bool Learner::tuning() const {
    return session_ && session_->autotuner && !session_->autotuner->done();
}

bool Learner::needs_windows() const {
    return session_ && (settings_.collect || tuning());
}

void Learner::follow(const Game* current) {
    if (session_ && current && current->pid == session_->pid)
        return;
    if (session_)
        end(current ? "another game became current" : "the game exited");
    if (current)
        start(*current);
}

void Learner::start(const Game& game) {
    auto session = std::make_unique<Session>();
    session->pid = game.pid;
    session->key = game_key(game.steam_app_id, game.exe, game.name);
    session->game = game.name;
    const auto pinned = host_.pinned();
    session->space = SearchSpace::from_flag_table(pinned);
    session_ = std::move(session);
    sessions_started_++;
    Session& s = *session_;

    if (settings_.profiles) {
        try {
            if (auto profile = load_learned_profile(settings_.state_dir, s.key)) {
                s.learned = profile->tunables;
                log_notice("applying learned profile ", s.key, ": ",
                           describe_tunables(profile->tunables), " (", profile->source, ", ",
                           profile->date, ")");
                host_.apply("learned:" + s.key, profile->tunables);
            }
        } catch (const Error& e) {
            log_warning("not applying the learned profile of ", s.key, ": ", e.what());
        }
    }
    if (!settings_.collect && !settings_.autotune)
        return;
    try {
        s.writer =
            std::make_unique<SampleWriter>(settings_.state_dir, s.key, settings_.store_limits);
    } catch (const Error& e) {
        log_warning("not storing windows of ", s.key, ": ", e.what());
    }
    s.previous = host_.read(s.pid);
    s.start = host_.in_force(s.space);
    if (settings_.autotune) {
        s.autotuner.emplace(s.space, s.start, settings_.autotune_params, seed_++);
        log_notice("autotuning ", s.key, " from ", describe_tunables(s.start), " (at most ",
                   settings_.autotune_params.budget_windows, " windows of ",
                   settings_.window.count(), " s)");
    }
}

void Learner::end(const char* why) {
    Session& s = *session_;
    if (s.autotuner && !s.autotuner->done()) {
        s.autotuner->abandon(why);
        log_notice("autotuning ", s.key, " stopped after ", s.autotuner->windows_used(),
                   " windows (", why, "); nothing saved");
    }
    const bool overlaid = s.learned || (s.autotuner && s.autotuner->config() != s.start) ||
                          (s.autotuner && s.autotuner->result().improved);
    session_.reset(); // closes (and syncs) the samples file
    if (overlaid)
        host_.revert();
}

void Learner::tick() {
    if (!session_ || !needs_windows())
        return;
    Session& s = *session_;
    auto now = host_.read(s.pid);
    if (!now)
        return;
    std::optional<WindowMetrics> metrics;
    if (s.previous)
        metrics = measure_window(*s.previous, *now, host_.ticks_per_second, settings_.deadline_us);
    s.previous = std::move(now);
    if (!metrics)
        return; // the first reading, or the scheduler was re-attached in between

    const FlagValues in_force = host_.in_force(s.space);
    if (in_force == s.start)
        s.reference_bg.add(metrics->bg_cpu);
    if (s.writer) {
        SampleRecord record;
        record.time = utc_timestamp(host_.now());
        record.key = s.key;
        record.game = s.game;
        record.tunables = in_force;
        record.base = in_force == host_.base(s.space);
        record.role = tuning() ? role_name(s.autotuner->role()) : "collect";
        record.metrics = *metrics;
        try {
            s.writer->append(record);
        } catch (const Error& e) {
            log_warning("no longer storing windows of ", s.key, ": ", e.what());
            s.writer.reset();
        }
    }
    if (!tuning())
        return;
    const auto score = score_window(*metrics, s.reference_bg.mean(), settings_.objective);
    const FlagValues before = s.autotuner->config();
    s.autotuner->record(score ? std::optional<double>(score->value) : std::nullopt);
    if (s.autotuner->done()) {
        finish_autotune();
        return;
    }
    if (s.autotuner->config() != before)
        host_.apply("autotune:" + s.key, s.autotuner->config());
}

void Learner::finish_autotune() {
    Session& s = *session_;
    const AutotuneResult& result = s.autotuner->result();
    log_notice("autotuning ", s.key, " done after ", result.windows, " windows and ", result.trials,
               " trials: ", result.why);
    if (!result.improved) {
        restore_start();
        return;
    }
    LearnedProfile profile;
    profile.key = s.key;
    profile.game = s.game;
    profile.tunables = result.best;
    profile.source = "autotune";
    profile.date = utc_timestamp(host_.now());
    profile.objective_before = result.objective_before;
    profile.objective_after = result.objective_after;
    profile.trials = result.trials;
    profile.windows = result.windows;
    profile.before = result.start;
    try {
        save_learned_profile(settings_.state_dir, profile);
        log_notice("saved learned profile ", s.key, ": ", describe_tunables(profile.tunables),
                   " (objective ", profile.objective_before, " -> ", profile.objective_after,
                   " us)");
    } catch (const Error& e) {
        log_warning("saving the learned profile of ", s.key, ": ", e.what());
    }
    s.learned = result.best;
    host_.apply("learned:" + s.key, result.best);
}

// Back to what was in force when the session started: the learned profile or the base.
void Learner::restore_start() {
    Session& s = *session_;
    if (s.learned)
        host_.apply("learned:" + s.key, *s.learned);
    else
        host_.revert();
}

void Learner::user_took_over(bool drop_learned) {
    if (!session_)
        return;
    Session& s = *session_;
    if (tuning()) {
        s.autotuner->abandon("the user changed the scheduler settings");
        log_notice("autotuning ", s.key, " stopped: the user changed the scheduler settings");
        if (!drop_learned)
            restore_start();
    }
    if (drop_learned)
        s.learned.reset();
}

void Learner::learned_profile_deleted(const std::string& key) {
    if (!session_ || session_->key != key || !session_->learned)
        return;
    session_->learned.reset();
    if (!tuning())
        host_.revert();
}

} // namespace scx_gamer::ml
