// SPDX-License-Identifier: GPL-2.0-only
// Whose processes may be treated as games automatically. Game treatment is a privilege: a game's
// threads run ahead of everyone else's work, and anyone can make a process look like a game (a
// .exe argv[0], a SteamAppId variable). By default it goes to root and to users at the machine
// (an active local session in logind's sense, as polkit's allow_active), not to ssh logins,
// system services or `nobody`; the rules file's [detection] section says otherwise
// (docs/security.md). Explicit registration over D-Bus is polkit's decision, not this one.
#pragma once

#include "games/game_rules.h"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

// What logind knows of a user's sessions. Virtual so the policy is tested without logind.
class SessionOracle {
  public:
    virtual ~SessionOracle() = default;
    // Whether uid has a session that is active (in the foreground of its seat) and not remote.
    virtual bool has_active_local_session(uid_t uid) const = 0;
};

// A DetectionPolicy with its allow_users resolved to uids (names through the user database, once
// per rules load: a lookup can block, and must not run for every exec).
struct EligibilityPolicy {
    bool everyone = false;
    std::vector<uid_t> allowed;

    // Resolves policy.allow_users; names that no user has are returned in `unknown`.
    static EligibilityPolicy resolve(const DetectionPolicy& policy,
                                     std::vector<std::string>* unknown = nullptr);
};

struct Eligibility {
    bool eligible = false;
    const char* why = ""; // "root", "everyone", "allow_users", "active session", "no active..."
};

// Whether a process of `uid` (nullopt: unknown, e.g. gone) may be detected as a game.
Eligibility game_eligibility(std::optional<uid_t> uid, const EligibilityPolicy& policy,
                             const SessionOracle& sessions);

} // namespace scx_gamer
