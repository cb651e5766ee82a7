// SPDX-License-Identifier: GPL-2.0-only
#include "daemon_client.h"

#include "names.h"

#include <systemd/sd-bus.h>

#include <array>
#include <cstring>
#include <sstream>
#include <string_view>

namespace scxgamerctl {

namespace dbus_names = scx_gamer::dbus_names;
using org::cachyos::ScxGamer_proxy;

namespace {

std::unique_ptr<sdbus::IConnection> wrap(sd_bus* bus, bool end_loop_on_disconnect) {
    if (end_loop_on_disconnect)
        sd_bus_set_exit_on_disconnect(bus, 1);
    return sdbus::createBusConnection(bus); // takes ownership of `bus`
}

sdbus::Error no_bus(const char* which, int negative_errno) {
    return sdbus::Error(sdbus::Error::Name{"org.freedesktop.DBus.Error.NoServer"},
                        std::string("cannot connect to the ") + which +
                            " bus: " + std::strerror(-negative_errno));
}

} // namespace

std::unique_ptr<sdbus::IConnection> connect_system_bus(bool allow_interactive_authorization,
                                                       bool end_loop_on_disconnect) {
    sd_bus* bus = nullptr;
    // Same rules as sdbus::createSystemBusConnection(): $DBUS_SYSTEM_BUS_ADDRESS, else the
    // system socket.
    if (const int r = sd_bus_open_system(&bus); r < 0)
        throw no_bus("system", r);
    sd_bus_set_allow_interactive_authorization(bus, allow_interactive_authorization ? 1 : 0);
    return wrap(bus, end_loop_on_disconnect);
}

std::unique_ptr<sdbus::IConnection> connect_session_bus(bool end_loop_on_disconnect) {
    sd_bus* bus = nullptr;
    if (const int r = sd_bus_open_user(&bus); r < 0)
        throw no_bus("session", r);
    return wrap(bus, end_loop_on_disconnect);
}

DaemonClient::DaemonClient(sdbus::IConnection& bus)
    : ProxyInterfaces(bus, sdbus::ServiceName{dbus_names::kBusName},
                      sdbus::ObjectPath{dbus_names::kObjectPath}) {}

DaemonClient::~DaemonClient() {
    unregisterProxy();
}

void DaemonClient::follow_signals() {
    registerProxy();
}

namespace {

// sdbus-c++ 2 has no setter for a call's NO_AUTO_START flag, and its Message keeps the sd-bus
// message in a protected member. A pointer to that member, named through a derived class, reads
// it without any cast of the object (the class is never instantiated).
struct MessageAccess : sdbus::Message {
    static sd_bus_message* raw(sdbus::Message& message) {
        return static_cast<sd_bus_message*>(message.*(&MessageAccess::msg_));
    }
};

constexpr const char* kProperties = "org.freedesktop.DBus.Properties";

template <typename T> T read_reply(sdbus::MethodReply reply) {
    T value{};
    reply >> value;
    return value;
}

} // namespace

sdbus::MethodCall DaemonClient::new_call(const char* interface, const char* method) {
    sdbus::MethodCall message =
        getProxy().createMethodCall(sdbus::InterfaceName{interface}, sdbus::MethodName{method});
    // Cleared before the message is sealed (sending seals it): the bus then answers
    // ServiceUnknown/NameHasNoOwner for a daemon that is not running instead of starting it.
    if (const int r = sd_bus_message_set_auto_start(MessageAccess::raw(message), 0); r < 0)
        throw sdbus::Error(sdbus::Error::Name{"org.freedesktop.DBus.Error.Failed"},
                           std::string("cannot clear the auto-start flag: ") + std::strerror(-r));
    return message;
}

Stats DaemonClient::stats() {
    return read_reply<Stats>(call(dbus_names::kInterface, "GetStats"));
}

std::vector<GameInfo> DaemonClient::games() {
    using Row = sdbus::Struct<uint32_t, std::string, std::string, std::string, uint64_t>;
    std::vector<GameInfo> out;
    for (const auto& [pid, name, exe, reason, detected_at_us] :
         read_reply<std::vector<Row>>(call(dbus_names::kInterface, "ListGames")))
        out.push_back({pid, name, exe, reason, detected_at_us});
    return out;
}

std::map<std::string, std::vector<std::string>> DaemonClient::profiles() {
    return read_reply<std::map<std::string, std::vector<std::string>>>(
        call(dbus_names::kInterface, "ListProfiles"));
}

std::string DaemonClient::set_profile(const std::string& name) {
    return read_reply<std::string>(call(dbus_names::kInterface, "SetProfile", name));
}

std::string DaemonClient::set_profile(const std::string& name,
                                      const std::map<std::string, sdbus::Variant>& options) {
    return read_reply<std::string>(
        call(dbus_names::kInterface, "SetProfileWithOptions", name, options));
}

std::string DaemonClient::apply_flags(const std::vector<std::string>& flags) {
    return read_reply<std::string>(call(dbus_names::kInterface, "ApplyFlags", flags));
}

std::string DaemonClient::apply_flags(const std::vector<std::string>& flags,
                                      const std::map<std::string, sdbus::Variant>& options) {
    return read_reply<std::string>(
        call(dbus_names::kInterface, "ApplyFlagsWithOptions", flags, options));
}

void DaemonClient::register_game(uint32_t pid) {
    (void)call(dbus_names::kInterface, "RegisterGame", pid);
}

void DaemonClient::register_game(uint32_t pid, const std::string& name, const std::string& via) {
    std::map<std::string, sdbus::Variant> options{{"via", sdbus::Variant{via}}};
    if (!name.empty())
        options.emplace("name", sdbus::Variant{name});
    (void)call(dbus_names::kInterface, "RegisterGameWithOptions", pid, options);
}

void DaemonClient::unregister_game(uint32_t pid) {
    (void)call(dbus_names::kInterface, "UnregisterGame", pid);
}

std::vector<Stats> DaemonClient::learned_profiles() {
    return read_reply<std::vector<Stats>>(call(dbus_names::kInterface, "ListLearnedProfiles"));
}

Stats DaemonClient::learned_profile(const std::string& key) {
    return read_reply<Stats>(call(dbus_names::kInterface, "GetLearnedProfile", key));
}

std::string DaemonClient::export_learned_profile(const std::string& key) {
    return read_reply<std::string>(call(dbus_names::kInterface, "ExportLearnedProfile", key));
}

void DaemonClient::delete_learned_profile(const std::string& key) {
    (void)call(dbus_names::kInterface, "DeleteLearnedProfile", key);
}

std::map<std::string, sdbus::Variant> DaemonClient::properties() {
    return read_reply<std::map<std::string, sdbus::Variant>>(
        call(kProperties, "GetAll", std::string{dbus_names::kInterface}));
}

sdbus::Variant DaemonClient::property(const char* name) {
    return read_reply<sdbus::Variant>(
        call(kProperties, "Get", std::string{dbus_names::kInterface}, std::string{name}));
}

std::string DaemonClient::profile() {
    return property("Profile").get<std::string>();
}

std::vector<std::string> DaemonClient::flags() {
    return property("Flags").get<std::vector<std::string>>();
}

void DaemonClient::onGameDetected(const uint32_t& pid, const std::string& name,
                                  const std::string& exe, const std::string& reason) {
    if (on_game_detected)
        on_game_detected({pid, name, exe, reason, 0});
}

void DaemonClient::onGameExited(const uint32_t& pid, const std::string& name) {
    if (on_game_exited)
        on_game_exited(pid, name);
}

void DaemonClient::onSchedulerExited(const std::string& reason, const std::string& message) {
    if (on_scheduler_exited)
        on_scheduler_exited(reason, message);
}

void DaemonClient::onPropertiesChanged(const sdbus::InterfaceName& interface_name,
                                       const std::map<sdbus::PropertyName, sdbus::Variant>& changed,
                                       const std::vector<sdbus::PropertyName>& /*invalidated*/) {
    if (!on_properties_changed || interface_name != ScxGamer_proxy::INTERFACE_NAME)
        return;
    std::map<std::string, sdbus::Variant> plain;
    for (const auto& [name, value] : changed)
        plain.emplace(std::string{name}, value);
    on_properties_changed(plain);
}

bool means_not_running(const sdbus::Error& error) {
    const std::string& name = error.getName();
    static constexpr std::array<std::string_view, 3> kNotRunning{
        "org.freedesktop.DBus.Error.ServiceUnknown", // no owner, no activation file
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoServer", // no system bus (connect_system_bus)
    };
    for (std::string_view candidate : kNotRunning)
        if (name == candidate)
            return true;
    // Bus activation through systemd failed: the unit is missing, masked or did not start.
    return name.rfind("org.freedesktop.DBus.Error.Spawn.", 0) == 0 ||
           name.rfind("org.freedesktop.systemd1.", 0) == 0;
}

nlohmann::json to_json(const sdbus::Variant& value) {
    const std::string_view type = value.peekValueType();
    if (type == "s" || type == "o" || type == "g")
        return value.get<std::string>();
    if (type == "b")
        return value.get<bool>();
    if (type == "y")
        return value.get<uint8_t>();
    if (type == "q")
        return value.get<uint16_t>();
    if (type == "u")
        return value.get<uint32_t>();
    if (type == "t")
        return value.get<uint64_t>();
    if (type == "n")
        return value.get<int16_t>();
    if (type == "i")
        return value.get<int32_t>();
    if (type == "x")
        return value.get<int64_t>();
    if (type == "d")
        return value.get<double>();
    if (type == "as")
        return value.get<std::vector<std::string>>();
    if (type == "a{sv}")
        return to_json(value.get<std::map<std::string, sdbus::Variant>>());
    if (type == "v")
        return to_json(value.get<sdbus::Variant>());
    // Nothing in our interface has other types; show the signature rather than fail.
    return "<" + std::string{type} + ">";
}

nlohmann::json to_json(const GameInfo& game) {
    return {{"pid", game.pid},
            {"name", game.name},
            {"exe", game.exe},
            {"reason", game.reason},
            {"detected_at_us", game.detected_at_us}};
}

nlohmann::json to_json(const std::map<std::string, sdbus::Variant>& values) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : values)
        out[key] = to_json(value);
    return out;
}

std::string to_text(const sdbus::Variant& value) {
    const nlohmann::json json = to_json(value);
    if (json.is_string())
        return json.get<std::string>();
    if (json.is_array()) {
        std::string out;
        for (const auto& element : json)
            out += (out.empty() ? "" : " ") +
                   (element.is_string() ? element.get<std::string>() : element.dump());
        return out;
    }
    if (json.is_number_float()) {
        std::ostringstream text;
        text << json.get<double>();
        return text.str();
    }
    return json.dump();
}

} // namespace scxgamerctl
