// SPDX-License-Identifier: GPL-2.0-only
#include "service/system_bus_facts.h"

#include "util/log.h"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace scx_gamer {

namespace {

struct MessageUnref {
    void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

struct ErrorFree {
    void operator()(sd_bus_error* e) const { sd_bus_error_free(e); }
};

// One method call that the bus must not activate anything for; `append` adds the arguments.
// Nothing on error, with the bus's error in `error`.
template <typename Append>
Message call(sd_bus* bus, const char* destination, const char* path, const char* interface,
             const char* member, sd_bus_error* error, Append append) {
    sd_bus_message* raw = nullptr;
    if (sd_bus_message_new_method_call(bus, &raw, destination, path, interface, member) < 0)
        return nullptr;
    Message request(raw);
    if (sd_bus_message_set_auto_start(request.get(), 0) < 0 || append(request.get()) < 0)
        return nullptr;
    sd_bus_message* reply = nullptr;
    if (sd_bus_call(bus, request.get(), 0, error, &reply) < 0)
        return nullptr;
    return Message(reply);
}

const char* reason(const sd_bus_error* error) {
    return error->message ? error->message : "no reply";
}

} // namespace

SystemBusFacts::SystemBusFacts(std::chrono::milliseconds timeout) : timeout_(timeout) {}

SystemBusFacts::~SystemBusFacts() {
    if (bus_)
        sd_bus_flush_close_unref(bus_);
}

sd_bus* SystemBusFacts::bus() {
    if (!tried_) {
        tried_ = true;
        if (const int r = sd_bus_open_system(&bus_); r < 0) {
            log_debug("start check: no system bus (", std::strerror(-r), "); not asked");
            bus_ = nullptr;
        } else {
            sd_bus_set_method_call_timeout(
                bus_, static_cast<uint64_t>(
                          std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count()));
        }
    }
    return bus_;
}

std::optional<std::string> SystemBusFacts::own_unit() {
    char* unit = nullptr;
    if (sd_pid_get_unit(0, &unit) < 0 || !unit)
        return std::nullopt;
    std::string out{unit};
    // sd-login's string is malloc'd: free() is the API's release.
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
    std::free(unit);
    return out;
}

std::optional<std::string> SystemBusFacts::unit_active_state(const std::string& unit) {
    // Not booted with systemd (a container, a test VM with a bare dbus-daemon): nobody to ask.
    if (sd_booted() <= 0 || !bus())
        return std::nullopt;
    sd_bus_error raw_error = SD_BUS_ERROR_NULL;
    std::unique_ptr<sd_bus_error, ErrorFree> error(&raw_error);
    Message reply =
        call(bus_, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
             "org.freedesktop.systemd1.Manager", "GetUnit", error.get(),
             [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", unit.c_str()); });
    if (!reply) {
        // GetUnit knows loaded units only; one that is not loaded is not running either.
        if (sd_bus_error_has_name(error.get(), "org.freedesktop.systemd1.NoSuchUnit"))
            return "inactive";
        log_debug("start check: cannot ask systemd about ", unit, ": ", reason(error.get()));
        return std::nullopt;
    }
    const char* path = nullptr;
    if (sd_bus_message_read(reply.get(), "o", &path) < 0 || !path)
        return std::nullopt;
    Message value = call(bus_, "org.freedesktop.systemd1", path, "org.freedesktop.DBus.Properties",
                         "Get", error.get(), [](sd_bus_message* m) {
                             return sd_bus_message_append(m, "ss", "org.freedesktop.systemd1.Unit",
                                                          "ActiveState");
                         });
    const char* text = nullptr;
    if (!value || sd_bus_message_read(value.get(), "v", "s", &text) < 0 || !text) {
        log_debug("start check: cannot read ", unit, "'s ActiveState: ", reason(error.get()));
        return std::nullopt;
    }
    return std::string{text};
}

std::optional<bool> SystemBusFacts::name_has_owner(const std::string& name) {
    if (!bus())
        return std::nullopt;
    sd_bus_error raw_error = SD_BUS_ERROR_NULL;
    std::unique_ptr<sd_bus_error, ErrorFree> error(&raw_error);
    Message reply =
        call(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
             "NameHasOwner", error.get(),
             [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", name.c_str()); });
    int owned = 0;
    if (!reply || sd_bus_message_read(reply.get(), "b", &owned) < 0) {
        log_debug("start check: cannot ask the bus about ", name, ": ", reason(error.get()));
        return std::nullopt;
    }
    return owned != 0;
}

} // namespace scx_gamer
