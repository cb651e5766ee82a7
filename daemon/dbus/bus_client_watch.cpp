// SPDX-License-Identifier: GPL-2.0-only
#include "bus_client_watch.h"

#include "util/log.h"

#include <utility>

namespace scx_gamer {
namespace {

const sdbus::ServiceName kBusDaemon{"org.freedesktop.DBus"};
const sdbus::ObjectPath kBusDaemonPath{"/org/freedesktop/DBus"};
constexpr const char* kBusDaemonInterface = "org.freedesktop.DBus";

std::string name_owner_changed_rule(const std::string& unique_name) {
    // Unique names contain only [:.A-Za-z0-9_-], so nothing needs escaping inside the quotes.
    return "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
           "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" +
           unique_name + "'";
}

} // namespace

BusClientWatch::BusClientWatch(sdbus::IConnection& bus, sd_event* loop, VanishedHandler on_vanished)
    : bus_(bus), on_vanished_(std::move(on_vanished)),
      bus_daemon_(sdbus::createProxy(bus, kBusDaemon, kBusDaemonPath)) {
    if (loop != nullptr) {
        sd_event_source* source = nullptr;
        auto run_cleanup = [](sd_event_source*, void* self) -> int {
            static_cast<BusClientWatch*>(self)->retired_.clear();
            return 0;
        };
        if (sd_event_add_defer(loop, &source, run_cleanup, this) >= 0) {
            cleanup_.reset(source);
            sd_event_source_set_enabled(source, SD_EVENT_OFF);
        }
    }
}

BusClientWatch::~BusClientWatch() {
    // The deferred clean-up must not run after the slots it clears are gone.
    cleanup_.reset();
}

void BusClientWatch::watch(const std::string& unique_name) {
    if (unique_name.empty() || matches_.count(unique_name) > 0)
        return;

    auto on_owner_changed = [this](sdbus::Message message) {
        std::string name, old_owner, new_owner;
        message >> name >> old_owner >> new_owner;
        if (new_owner.empty())
            vanished(name);
    };
    matches_.emplace(unique_name, bus_.addMatch(name_owner_changed_rule(unique_name),
                                                std::move(on_owner_changed), sdbus::return_slot));

    // The client may have left before the match was in place. The bus daemon handles our
    // messages in order, so asking now closes that gap: a departure after AddMatch is seen by
    // the match, one before it by this question.
    bus_daemon_->callMethodAsync("NameHasOwner")
        .onInterface(kBusDaemonInterface)
        .withArguments(unique_name)
        .uponReplyInvoke([this, unique_name](std::optional<sdbus::Error> error, bool has_owner) {
            if (error)
                log_warning("D-Bus: cannot tell whether ", unique_name,
                            " is still connected: ", error->getMessage());
            else if (!has_owner)
                vanished(unique_name);
        });
}

void BusClientWatch::forget(const std::string& unique_name) {
    auto node = matches_.extract(unique_name);
    if (node.empty())
        return;
    retired_.push_back(std::move(node.mapped()));
    schedule_cleanup();
}

void BusClientWatch::vanished(const std::string& unique_name) {
    if (matches_.count(unique_name) == 0)
        return; // already reported (the match and NameHasOwner can both notice)
    forget(unique_name);
    on_vanished_(unique_name);
}

void BusClientWatch::schedule_cleanup() {
    if (cleanup_)
        sd_event_source_set_enabled(cleanup_.get(), SD_EVENT_ONESHOT);
    // Without a loop (only in tests of this class) retired matches stay until destruction.
}

} // namespace scx_gamer
