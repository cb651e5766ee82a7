// SPDX-License-Identifier: GPL-2.0-only
#include "config/config_reload.h"

#include "util/text.h"

namespace scx_gamer {

WatchPlan config_watch_plan(const std::vector<std::filesystem::path>& files) {
    WatchPlan plan;
    for (const auto& file : files) {
        std::filesystem::path below = file; // the path under `dir` that leads to the file
        std::filesystem::path dir = file.parent_path();
        while (true) {
            std::error_code error;
            if (std::filesystem::is_directory(dir, error)) {
                plan[dir].insert(below.filename().string());
                break;
            }
            if (dir == dir.parent_path())
                break; // nothing on the way exists (a relative path that leads nowhere)
            below = dir;
            dir = dir.parent_path();
        }
    }
    return plan;
}

std::vector<std::filesystem::path> config_files(const std::filesystem::path& root,
                                                const std::filesystem::path& rules_path) {
    std::vector<std::filesystem::path> files = loader_config_paths(root);
    files.push_back(rules_path);
    return files;
}

ProfileReload reload_profiles(const ProfileSet& current, const std::string& active,
                              const std::filesystem::path& root) {
    ProfileLoad load = load_profiles(root, current);
    ProfileReload out{std::move(load.profiles), std::move(load.source), std::move(load.warnings)};
    const Profile* before = current.find(active);
    const Profile* after = out.profiles.find(active);
    if (before != nullptr && after == nullptr) {
        out.warnings.push_back("profile " + quote_for_message(active) + " is no longer defined" +
                               (out.source ? " in " + out.source->string() : std::string{}) +
                               "; it keeps its current flags until another profile is chosen");
        out.profiles.set(active, before->flags);
        after = out.profiles.find(active);
    }
    out.changed = !(out.profiles == current);
    out.active_changed = before != nullptr && after != nullptr && before->values != after->values;
    return out;
}

} // namespace scx_gamer
