// SPDX-License-Identifier: GPL-2.0-only
#include "polkit_authority.h"

#include <systemd/sd-bus.h>

#include <chrono>
#include <utility>

namespace scx_gamer {
namespace {

const sdbus::ServiceName kPolkitService{"org.freedesktop.PolicyKit1"};
const sdbus::ObjectPath kAuthorityPath{"/org/freedesktop/PolicyKit1/Authority"};
constexpr const char* kAuthorityInterface = "org.freedesktop.PolicyKit1.Authority";

// POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
constexpr uint32_t kAllowUserInteraction = 1;

// An interactive check waits for a human at a password dialog; polkit's agent gives up on its
// own, so this only bounds a polkit that never answers. A non-interactive check is quick.
constexpr auto kInteractiveTimeout = std::chrono::minutes(5);
constexpr auto kQuickTimeout = std::chrono::seconds(25);

// polkit's subject ("system-bus-name", {"name": <":1.42">}) and result (is_authorized,
// is_challenge, details); signatures (sa{sv}) and (bba{ss}).
using PolkitSubject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
using PolkitResult = sdbus::Struct<bool, bool, std::map<std::string, std::string>>;

// sdbus-c++ 2.1's Message has no accessor for the ALLOW_INTERACTIVE_AUTHORIZATION header flag nor
// for credentials without /proc augmentation, so reach the sd_bus_message it wraps. Naming the
// protected member through a derived class is ordinary C++ (a pointer to member formed in the
// derived class); should sdbus-c++ rename the member, this fails to compile rather than misbehave.
struct RawMessage : sdbus::Message {
    static sd_bus_message* of(const sdbus::Message& message) {
        return static_cast<sd_bus_message*>(message.*(&RawMessage::msg_));
    }
};

// The caller's uid as the bus daemon authenticated it. No SD_BUS_CREDS_AUGMENT: values read from
// /proc/PID afterwards could belong to a different process by then, which is no basis for trust.
std::optional<uid_t> sender_uid(sd_bus_message* message) {
    sd_bus_creds* creds = nullptr;
    if (sd_bus_query_sender_creds(message, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID, &creds) < 0)
        return std::nullopt;
    std::optional<uid_t> result;
    uid_t uid = 0;
    if (sd_bus_creds_get_euid(creds, &uid) >= 0 || sd_bus_creds_get_uid(creds, &uid) >= 0)
        result = uid;
    sd_bus_creds_unref(creds);
    return result;
}

} // namespace

AuthorizationSubject AuthorizationSubject::of_call(const sdbus::Message& call) {
    AuthorizationSubject subject;
    if (const char* sender = call.getSender())
        subject.bus_name = sender;
    if (sd_bus_message* raw = RawMessage::of(call)) {
        subject.uid = sender_uid(raw);
        subject.allow_interaction = sd_bus_message_get_allow_interactive_authorization(raw) > 0;
    }
    return subject;
}

PolkitAuthority::PolkitAuthority(sdbus::IConnection& bus)
    : authority_(sdbus::createProxy(bus, kPolkitService, kAuthorityPath)) {}

PolkitAuthority::~PolkitAuthority() = default;

void PolkitAuthority::check(const AuthorizationSubject& subject, const std::string& action_id,
                            const std::map<std::string, std::string>& details, Done done) {
    if (subject.uid == uid_t{0}) {
        done({AuthorizationVerdict::Allowed, "caller is root"});
        return;
    }
    if (subject.bus_name.empty()) {
        done({AuthorizationVerdict::Denied, "caller has no bus name"});
        return;
    }

    const PolkitSubject polkit_subject{
        std::string{"system-bus-name"},
        std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant{subject.bus_name}}}};
    const uint32_t flags = subject.allow_interaction ? kAllowUserInteraction : 0;
    const auto timeout =
        subject.allow_interaction
            ? std::chrono::duration_cast<std::chrono::microseconds>(kInteractiveTimeout)
            : std::chrono::duration_cast<std::chrono::microseconds>(kQuickTimeout);

    // Shared so that `done` can still be called when sending fails after the lambda was handed
    // over (and because sdbus-c++ stores reply handlers in copyable std::functions).
    auto shared_done = std::make_shared<Done>(std::move(done));
    auto on_reply = [shared_done, action_id, interactive = subject.allow_interaction](
                        std::optional<sdbus::Error> error, PolkitResult result) {
        const Done& report = *shared_done;
        if (error) {
            report({AuthorizationVerdict::Unreachable,
                    "cannot ask polkit about " + action_id + ": " + error->getMessage()});
            return;
        }
        const bool is_authorized = result.get<0>();
        const bool is_challenge = result.get<1>();
        if (is_authorized)
            report({AuthorizationVerdict::Allowed, "polkit allowed " + action_id});
        // The caller allowed a password prompt and polkit still only offers one: no
        // authentication agent could ask (none in the caller's session). Asking again with
        // interaction would change nothing, so this is a plain refusal.
        else if (is_challenge && interactive)
            report({AuthorizationVerdict::Denied,
                    "authentication is required for " + action_id +
                        " and no authentication agent is available to ask for it"});
        else if (is_challenge)
            report({AuthorizationVerdict::NeedsInteraction,
                    "authentication is required for " + action_id});
        else
            report({AuthorizationVerdict::Denied, "polkit denied " + action_id});
    };

    try {
        // A floating call: the proxy owns it until the reply arrives and cancels it when the
        // proxy is destroyed, so nothing here has to track it.
        authority_->callMethodAsync("CheckAuthorization")
            .onInterface(kAuthorityInterface)
            .withTimeout(timeout)
            .withArguments(polkit_subject, action_id, details, flags, std::string{})
            .uponReplyInvoke(std::move(on_reply));
    } catch (const sdbus::Error& error) {
        (*shared_done)({AuthorizationVerdict::Unreachable,
                        "cannot ask polkit about " + action_id + ": " + error.getMessage()});
    }
}

} // namespace scx_gamer
