// SPDX-License-Identifier: GPL-2.0-only
#include "loader/loader_bus.h"

#include "bus/bus_loss.h"
#include "util/log.h"

#include "scxloader-proxy.h" // generated from dbus/org.scx.Loader.xml

#include <sdbus-c++/sdbus-c++.h>

#include <array>
#include <chrono>
#include <string_view>
#include <utility>

namespace scx_gamer {

namespace {

// scx_loader answers once it has queued the switch (the scheduler restarts behind the reply), so
// a slow answer means a stuck loader; the daemon's loop must not wait on it for long.
constexpr auto kCallTimeout = std::chrono::seconds(5);

bool is_one_of(const std::string& name, std::initializer_list<std::string_view> names) {
    for (auto candidate : names)
        if (name == candidate)
            return true;
    return false;
}

LoaderError translate(const sdbus::Error& error, const char* call) {
    const std::string& name = error.getName();
    const std::string what = std::string(call) + ": " + name + ": " + error.getMessage();
    if (is_one_of(name,
                  {"org.freedesktop.DBus.Error.ServiceUnknown",
                   "org.freedesktop.DBus.Error.NameHasNoOwner",
                   "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout",
                   "org.freedesktop.DBus.Error.TimedOut", "org.freedesktop.DBus.Error.Disconnected",
                   "org.freedesktop.DBus.Error.NoServer"}))
        return LoaderError(LoaderError::Kind::Unavailable, what);
    if (is_one_of(name, {"org.freedesktop.DBus.Error.UnknownMethod",
                         "org.freedesktop.DBus.Error.UnknownInterface",
                         "org.freedesktop.DBus.Error.UnknownObject",
                         "org.freedesktop.DBus.Error.UnknownProperty"}))
        return LoaderError(LoaderError::Kind::Unsupported, what);
    return LoaderError(LoaderError::Kind::Failed, what);
}

} // namespace

class LoaderBusLink::Client final : public LoaderClient,
                                    public sdbus::ProxyInterfaces<org::scx::Loader_proxy> {
  public:
    explicit Client(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, sdbus::ServiceName{loader_names::kBusName},
                          sdbus::ObjectPath{loader_names::kObjectPath}) {
        registerProxy();
    }
    ~Client() override { unregisterProxy(); }

    // Set from the name watch. Calls are made only while someone owns org.scx.Loader: a call to
    // an unowned name would have the bus start scx_loader through D-Bus activation, and starting
    // it (and its default scheduler) is the administrator's decision, not ours.
    bool present = false;

    LoaderState state() override {
        LoaderState out;
        call("reading CurrentScheduler", [&] { out.scheduler = CurrentScheduler(); });
        call("reading SchedulerMode", [&] { out.mode = SchedulerMode(); });
        try {
            call("reading CurrentSchedulerArgs", [&] { out.args = CurrentSchedulerArgs(); });
        } catch (const LoaderError& e) {
            // Older scx_loader releases lack the property: they only start schedulers by mode.
            if (e.kind() != LoaderError::Kind::Unsupported)
                throw;
        }
        return out;
    }

    void switch_scheduler(const std::string& scheduler, uint32_t mode) override {
        call("SwitchScheduler", [&] { SwitchScheduler(scheduler, mode); });
    }

    void switch_scheduler_with_args(const std::string& scheduler,
                                    const std::vector<std::string>& args) override {
        call("SwitchSchedulerWithArgs", [&] { SwitchSchedulerWithArgs(scheduler, args); });
    }

    uint32_t hold_scheduler(const std::string& scheduler, uint32_t mode, const std::string& reason,
                            const std::string& app_id) override {
        uint32_t cookie = 0;
        call("HoldScheduler", [&] { cookie = HoldScheduler(scheduler, mode, reason, app_id); });
        return cookie;
    }

    void release_scheduler(uint32_t cookie) override {
        call("ReleaseScheduler", [&] { ReleaseScheduler(cookie); });
    }

  private:
    template <typename Body> void call(const char* what, Body body) {
        if (!present)
            throw LoaderError(LoaderError::Kind::Unavailable,
                              std::string(loader_names::kBusName) + " has no owner on the bus");
        try {
            body();
        } catch (const sdbus::Error& e) {
            throw translate(e, what);
        }
    }
};

std::unique_ptr<LoaderBusLink> LoaderBusLink::start(sd_event* loop,
                                                    std::unique_ptr<sdbus::IConnection> bus) {
    std::unique_ptr<LoaderBusLink> link(new LoaderBusLink());
    link->bus_ = bus ? std::move(bus) : sdbus::createSystemBusConnection();
    link->bus_->setMethodCallTimeout(kCallTimeout);
    link->bus_->attachSdEventLoop(loop);
    link->client_ = std::make_unique<Client>(*link->bus_);
    link->companion_ = std::make_unique<LoaderCompanion>(*link->client_);

    // Match first, then ask: an owner change after AddMatch is seen by the match, one before it
    // by the question (the bus daemon answers in order).
    const std::string rule = std::string("type='signal',sender='org.freedesktop.DBus',"
                                         "path='/org/freedesktop/DBus',interface='org.freedesktop."
                                         "DBus',member='NameOwnerChanged',arg0='") +
                             loader_names::kBusName + "'";
    LoaderBusLink* self = link.get();
    link->owner_match_ = link->bus_->addMatch(
        rule,
        [self](sdbus::Message message) {
            std::string name, old_owner, new_owner;
            message >> name >> old_owner >> new_owner;
            self->owner_changed(new_owner);
        },
        sdbus::return_slot);
    auto bus_daemon = sdbus::createProxy(*link->bus_, sdbus::ServiceName{"org.freedesktop.DBus"},
                                         sdbus::ObjectPath{"/org/freedesktop/DBus"});
    bool has_owner = false;
    bus_daemon->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string(loader_names::kBusName))
        .storeResultsTo(has_owner);
    link->client_->present = has_owner;
    if (has_owner)
        log_info("companion of scx_loader: asking it for Gaming mode while a game runs");
    else
        link->companion_->loader_vanished(); // warns once
    return link;
}

LoaderBusLink::~LoaderBusLink() {
    stop();
}

void LoaderBusLink::stop() {
    if (companion_)
        companion_->stop();
}

void LoaderBusLink::on_disconnect(std::function<void()> lost) {
    disconnect_match_ = watch_bus_loss(*bus_, [this, lost = std::move(lost)] {
        client_->present = false;
        lost();
    });
}

void LoaderBusLink::owner_changed(const std::string& new_owner) {
    client_->present = !new_owner.empty();
    if (new_owner.empty())
        companion_->loader_vanished();
    else
        companion_->loader_appeared();
}

} // namespace scx_gamer
