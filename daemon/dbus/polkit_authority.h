// SPDX-License-Identifier: GPL-2.0-only
// An asynchronous polkit client over plain D-Bus (no libpolkit): asks
// org.freedesktop.PolicyKit1.Authority.CheckAuthorization whether the sender of a method call may
// perform an action, and reports the answer through a callback so the event loop keeps running
// while a user types a password.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace scx_gamer {

enum class AuthorizationVerdict {
    Allowed,
    Denied,           // polkit said no
    NeedsInteraction, // polkit would say yes after authentication, but the caller forbade prompts
    Unreachable,      // polkit could not be asked: not running, timed out, malformed reply
};

struct AuthorizationResult {
    AuthorizationVerdict verdict = AuthorizationVerdict::Denied;
    std::string detail; // one line for the log and the caller's error message
};

// The caller of a method, as polkit needs to see it.
struct AuthorizationSubject {
    std::string bus_name;           // unique name (":1.42"); polkit resolves the process from it
    std::optional<uid_t> uid;       // from the bus daemon's credentials; nullopt when unknown
    bool allow_interaction = false; // the call's ALLOW_INTERACTIVE_AUTHORIZATION header flag

    // Reads the subject from a method call message. Call it inside the method handler, while the
    // message is the one being processed.
    static AuthorizationSubject of_call(const sdbus::Message& call);
};

class PolkitAuthority {
  public:
    using Done = std::function<void(const AuthorizationResult&)>;

    // Talks to polkit over `bus`; creating it does not contact polkit, so a missing polkit only
    // shows when a check is made.
    explicit PolkitAuthority(sdbus::IConnection& bus);
    // Cancels the checks still waiting for polkit; their callbacks never run.
    ~PolkitAuthority();

    PolkitAuthority(const PolkitAuthority&) = delete;
    PolkitAuthority& operator=(const PolkitAuthority&) = delete;

    // Decides whether `subject` may perform `action_id`; `done` runs exactly once on the bus's
    // event loop (unless this object is destroyed first). A subject with uid 0 is allowed at once,
    // inside this call, without asking polkit: root could change the scheduler without us anyway.
    // `details` are passed to polkit rules (action.lookup(key)).
    void check(const AuthorizationSubject& subject, const std::string& action_id,
               const std::map<std::string, std::string>& details, Done done);

  private:
    // Owns the in-flight CheckAuthorization calls: destroying it cancels them.
    std::unique_ptr<sdbus::IProxy> authority_;
};

} // namespace scx_gamer
