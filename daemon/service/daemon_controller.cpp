// SPDX-License-Identifier: GPL-2.0-only
// The Daemon as its interfaces see it (Controller): profiles and flags layered over the profile
// (the learner's overlay, then the user's flags) and changed transactionally, persist, explicit
// registration, learned profiles; and the learner's side of the daemon.
#include "daemon.h"

#include "ml/game_key.h"
#include "util/error.h"
#include "util/log.h"
#include "util/text.h"

#include <random>
#include <unistd.h>

namespace scx_gamer {

std::vector<std::string> Daemon::flags() const {
    const Profile* current = profile_set_.find(profile_);
    FlagValues values = current ? current->values : FlagValues{};
    if (overlay_)
        values.merge(overlay_->tunables);
    values.merge(custom_flags_);
    return to_args(values);
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
// caller gets the exception (SchedulerSupervisor::change rolls the scheduler back).
ApplyOutcome Daemon::change_options(const Options& next, const std::string& next_profile,
                                    const FlagValues& next_custom) {
    const unsigned previous_stats_secs = options().stats_secs;
    const SchedulerSupervisor::Change change = supervisor_->change(next);
    profile_ = next_profile;
    custom_flags_ = next_custom;
    set_log_verbose(options().verbose);
    if (change.mode == ChangeMode::Live && supervisor_->scheduler() && !change.changes.empty())
        log_info("applied live: ", to_command_line(change.changes));
    if (previous_stats_secs != options().stats_secs)
        restart_stats_timer();
    ApplyOutcome outcome;
    outcome.mode = change.mode;
    outcome.flags = flags();
    notify_properties({"Profile", "Flags"});
    return outcome;
}

void Daemon::register_game(uint32_t pid, const Registration& registration) {
    pipeline_->register_game(pid, registration);
}

bool Daemon::unregister_game(uint32_t pid) {
    return pipeline_->unregister_game(pid);
}

void Daemon::client_vanished(const std::string& owner) {
    pipeline_->client_vanished(owner);
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
    host.in_force = [this](const ml::SearchSpace& space) { return space.values_of(options()); };
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
    learner_->follow(pipeline_->games().current());
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
    const Scheduler* scheduler = supervisor_->scheduler();
    if (!scheduler)
        return std::nullopt;
    ml::Reading reading;
    reading.monotonic_ns = monotonic_ns();
    reading.stats = scheduler->stats();
    reading.latency_histogram = scheduler->latency_histogram();
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

} // namespace scx_gamer
