// SPDX-License-Identifier: GPL-2.0-only
// User rules from /etc/scx_gamer/games.toml: which programs are (or are not) games. The format
// is documented in docs/games.md:
//
//   [include]
//   names = ["eldenring.exe", "supertuxkart"]   # program names, any case
//   paths = ["/opt/games/*"]                     # fnmatch globs; '*' also matches '/'
//   steam_app_ids = [1245620]
//
//   [exclude]                                    # same keys; exclude wins over include
//   names = ["launcher.exe"]
//
//   [detection]                                  # who may be a game, and how many at once
//   users = "active-session"                     # or "everyone"
//   allow_users = ["steam-kiosk"]                # always eligible (names or uids)
//   max_games_per_user = 16
//   max_games = 64
#pragma once

#include "games/game_registry.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

inline constexpr std::string_view kDefaultRulesPath = "/etc/scx_gamer/games.toml";
// Larger files are rejected: the rules file is a short hand-written list.
inline constexpr std::size_t kMaxRulesFileBytes = std::size_t{1024} * 1024;

// Who is eligible for automatic detection (docs/security.md): root, and users with an active local
// session unless `everyone`; users named in `allow_users` always. Plus the registry's limits.
struct DetectionPolicy {
    bool everyone = false;
    std::vector<std::string> allow_users; // user names or numeric uids
    GameLimits limits;

    bool operator==(const DetectionPolicy&) const = default;
};

struct RuleSet {
    std::vector<std::string> names;
    std::vector<std::string> paths;
    std::vector<std::uint64_t> steam_app_ids;

    bool empty() const { return names.empty() && paths.empty() && steam_app_ids.empty(); }
    bool operator==(const RuleSet&) const = default;
};

// What rules are matched against; the classifier derives it from a ProcessInfo.
struct RuleSubject {
    std::vector<std::string> names; // program basenames (comm, exe, argv[0]; the .exe for Wine)
    std::vector<std::string> paths; // the exe's path; for Wine also the .exe's path
    std::optional<std::uint64_t> steam_app_id;
};

struct RuleMatch {
    bool include;     // false: an exclude rule matched
    std::string rule; // "name=eldenring.exe", "path=/opt/games/*", "steam_app_id=1245620"

    bool operator==(const RuleMatch&) const = default;
};

class GameRules {
  public:
    GameRules() = default;
    GameRules(RuleSet include, RuleSet exclude, DetectionPolicy detection = {});

    // Parses rules from TOML text; source_name is used in messages. Throws RulesError with
    // "source:line:col: reason" for a syntax error, an unknown key or a value of the wrong type.
    static GameRules parse(std::string_view toml_text, const std::string& source_name);
    // Parses the rules file at path. A missing file means no rules; throws RulesError for an
    // unreadable or invalid one.
    static GameRules load(const std::filesystem::path& path);

    // The matching rule, exclude rules first; nullopt if no rule matches.
    std::optional<RuleMatch> match(const RuleSubject& subject) const;

    const RuleSet& include() const { return include_; }
    const RuleSet& exclude() const { return exclude_; }
    const DetectionPolicy& detection() const { return detection_; }
    bool empty() const { return include_.empty() && exclude_.empty(); }
    bool operator==(const GameRules&) const = default;

  private:
    RuleSet include_;
    RuleSet exclude_;
    DetectionPolicy detection_;
};

} // namespace scx_gamer
