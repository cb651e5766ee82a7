// SPDX-License-Identifier: GPL-2.0-only
// `scx_gamer ml-train [--state-dir DIR] [--dry-run]`: recomputes every game's learned profile
// from its collected windows (ml/trainer.h), prints what changed and saves the profiles.
// Exit codes: 0 done, 1 failure.
//
// Wiring in main.cpp, like ConfigCommands:
//   MlTrainCommand ml_train(app);   // before app.parse()
//   if (ml_train.selected()) return ml_train.run();
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace scx_gamer {

class MlTrainCommand {
  public:
    explicit MlTrainCommand(CLI::App& app);
    MlTrainCommand(const MlTrainCommand&) = delete;
    MlTrainCommand& operator=(const MlTrainCommand&) = delete;

    bool selected() const;
    int run() const;

  private:
    CLI::App* command_ = nullptr;
    std::string state_dir_;
    bool dry_run_ = false;
};

} // namespace scx_gamer
