// SPDX-License-Identifier: GPL-2.0-only
#include "ml_cli.h"

#include "ml/learned_profile.h"
#include "ml/learner.h"
#include "ml/sample_store.h"
#include "ml/trainer.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

namespace scx_gamer {
namespace {

constexpr int kExitDone = 0;
constexpr int kExitFailure = 1;

std::string objective_text(double before, double after) {
    char text[96];
    std::snprintf(text, sizeof text, "objective %.1f -> %.1f us", before, after);
    return text;
}

} // namespace

MlTrainCommand::MlTrainCommand(CLI::App& app) : state_dir_(ml::kDefaultStateDir) {
    command_ = app.add_subcommand(
        "ml-train", "Recompute every game's learned profile from the windows collected with "
                    "--ml-collect, print what changed and save the profiles");
    command_->add_option("--state-dir", state_dir_, "Where the collected data and profiles live")
        ->type_name("DIR")
        ->capture_default_str();
    command_->add_flag("--dry-run", dry_run_, "Print what would change; save nothing");
}

bool MlTrainCommand::selected() const {
    return command_->parsed();
}

int MlTrainCommand::run() const {
    try {
        const auto keys = ml::sample_keys(state_dir_);
        if (keys.empty()) {
            std::cout << "scx_gamer: no collected data in " << ml::samples_dir(state_dir_).string()
                      << " (run the daemon with --ml-collect while playing)\n";
            return kExitDone;
        }
        unsigned changed = 0;
        for (const auto& key : keys) {
            ml::SampleLoad load = ml::read_samples(state_dir_, key);
            for (const auto& warning : load.warnings)
                std::cerr << "scx_gamer: warning: " << warning << "\n";
            const ml::TrainOutcome outcome =
                ml::train(key, load.records, std::chrono::system_clock::now());
            if (!outcome.profile) {
                std::cout << key << ": no profile (" << outcome.why << ")\n";
                continue;
            }
            const ml::LearnedProfile& profile = *outcome.profile;
            std::optional<ml::LearnedProfile> previous;
            try {
                previous = ml::load_learned_profile(state_dir_, key);
            } catch (const Error& e) {
                std::cerr << "scx_gamer: warning: replacing an unreadable profile: " << e.what()
                          << "\n";
            }
            const std::string flags = ml::describe_tunables(profile.tunables);
            const std::string evidence =
                objective_text(profile.objective_before, profile.objective_after) + ", " +
                std::to_string(profile.windows) + " windows, " +
                std::to_string(outcome.configs.size()) + " configurations" +
                (profile.single_config ? ", single configuration" : "");
            if (previous && previous->tunables == profile.tunables) {
                std::cout << key << ": unchanged: " << flags << " (" << evidence << ")\n";
                continue;
            }
            std::cout << key << ": "
                      << (previous ? ml::describe_tunables(previous->tunables)
                                   : std::string("(no profile)"))
                      << " -> " << flags << " (" << evidence << "; " << outcome.why << ")\n";
            changed++;
            if (!dry_run_)
                ml::save_learned_profile(state_dir_, profile);
        }
        std::cout << "scx_gamer: " << changed << " profile" << (changed == 1 ? "" : "s")
                  << (dry_run_ ? " would change" : " changed") << "\n";
        return kExitDone;
    } catch (const std::exception& e) {
        std::cerr << "scx_gamer: ml-train: " << e.what() << "\n";
        return kExitFailure;
    }
}

} // namespace scx_gamer
