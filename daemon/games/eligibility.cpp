// SPDX-License-Identifier: GPL-2.0-only
#include "games/eligibility.h"

#include <pwd.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace scx_gamer {
namespace {

std::optional<uid_t> uid_of(const std::string& user) {
    uid_t uid = 0;
    const char* end = user.data() + user.size();
    if (auto [ptr, error] = std::from_chars(user.data(), end, uid);
        error == std::errc{} && ptr == end)
        return uid;
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return std::nullopt;
    return found->pw_uid;
}

} // namespace

EligibilityPolicy EligibilityPolicy::resolve(const DetectionPolicy& policy,
                                             std::vector<std::string>* unknown) {
    EligibilityPolicy resolved;
    resolved.everyone = policy.everyone;
    for (const std::string& user : policy.allow_users) {
        if (const auto uid = uid_of(user))
            resolved.allowed.push_back(*uid);
        else if (unknown)
            unknown->push_back(user);
    }
    return resolved;
}

Eligibility game_eligibility(std::optional<uid_t> uid, const EligibilityPolicy& policy,
                             const SessionOracle& sessions) {
    if (!uid)
        return {false, "owner unknown"};
    if (*uid == 0)
        return {true, "root"};
    if (policy.everyone)
        return {true, "everyone"};
    if (std::find(policy.allowed.begin(), policy.allowed.end(), *uid) != policy.allowed.end())
        return {true, "allow_users"};
    if (sessions.has_active_local_session(*uid))
        return {true, "active local session"};
    return {false, "no active local session"};
}

} // namespace scx_gamer
