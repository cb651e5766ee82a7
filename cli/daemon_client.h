// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl's side of org.cachyos.ScxGamer: the bus connection, the generated proxy, the
// conversion of replies into plain values, and what a D-Bus error means for the exit code.
#pragma once

#include "scxgamer-proxy.h" // generated from dbus/org.cachyos.ScxGamer.xml

#include <sdbus-c++/sdbus-c++.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace scxgamerctl {

// Exit codes; documented in scxgamerctl(1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;     // the daemon refused or the operation failed
inline constexpr int kExitUsage = 2;      // bad command line
inline constexpr int kExitNotRunning = 3; // no scx_gamer on the bus (or no bus at all)

inline constexpr const char* kNotRunningHint =
    "scx_gamer is not running (start it with: systemctl start scx_gamer)";

struct GameInfo {
    uint32_t pid = 0;
    std::string name;
    std::string exe;
    std::string reason;
    uint64_t detected_at_us = 0;
};

using Stats = std::map<std::string, sdbus::Variant>;

// Opens the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set). `allow_interactive_authorization`
// sets the ALLOW_INTERACTIVE_AUTHORIZATION flag on every method call, which lets polkit ask the
// user for a password; sdbus-c++ has no per-call switch, sd-bus has a per-connection one.
// `end_loop_on_disconnect`: when the bus goes away, the sd-event loop the connection is attached
// to ends with a failure code (for the commands that follow the bus until stopped).
std::unique_ptr<sdbus::IConnection> connect_system_bus(bool allow_interactive_authorization,
                                                       bool end_loop_on_disconnect = false);
// The same for the user's session bus ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus).
std::unique_ptr<sdbus::IConnection> connect_session_bus(bool end_loop_on_disconnect);

// The daemon's object. Construction sends nothing; signal handlers are installed by
// follow_signals() only, so one-shot commands add no match rules to the bus.
//
// Every call goes out with the NO_AUTO_START flag: scxgamerctl never makes the bus start
// scx_gamer (D-Bus activation). A stopped daemon answers as "not running" (exit 3); starting it
// is systemctl's job (docs/security.md, "Who may start scx_gamer"). The generated proxy methods
// would let the bus activate the name, so they are not reachable from here (private base): the
// methods below are the only way the CLI talks to the daemon.
class DaemonClient final
    : private sdbus::ProxyInterfaces<org::cachyos::ScxGamer_proxy, sdbus::Properties_proxy> {
  public:
    explicit DaemonClient(sdbus::IConnection& bus);
    ~DaemonClient();

    std::function<void(const GameInfo&)> on_game_detected;
    std::function<void(uint32_t pid, const std::string& name)> on_game_exited;
    std::function<void(const std::map<std::string, sdbus::Variant>& changed)> on_properties_changed;
    std::function<void(const std::string& reason, const std::string& message)> on_scheduler_exited;

    // Installs the signal matches; the handlers above run from the connection's event loop.
    void follow_signals();

    // org.cachyos.ScxGamer's methods (dbus/org.cachyos.ScxGamer.xml).
    Stats stats();
    std::vector<GameInfo> games();
    std::map<std::string, std::vector<std::string>> profiles();
    std::string set_profile(const std::string& name);
    std::string set_profile(const std::string& name,
                            const std::map<std::string, sdbus::Variant>& options);
    std::string apply_flags(const std::vector<std::string>& flags);
    std::string apply_flags(const std::vector<std::string>& flags,
                            const std::map<std::string, sdbus::Variant>& options);
    void register_game(uint32_t pid);
    // RegisterGameWithOptions: name (empty: the daemon's choice) and how it was found ("launch",
    // "gamemode").
    void register_game(uint32_t pid, const std::string& name, const std::string& via);
    void unregister_game(uint32_t pid);
    std::vector<Stats> learned_profiles();
    Stats learned_profile(const std::string& key);
    std::string export_learned_profile(const std::string& key);
    void delete_learned_profile(const std::string& key);

    // All properties of the interface in one call, and single ones.
    std::map<std::string, sdbus::Variant> properties();
    std::string profile();
    std::vector<std::string> flags();

  private:
    // A method call on the daemon's object that the bus must not activate the daemon for.
    sdbus::MethodCall new_call(const char* interface, const char* method);
    template <typename... Args>
    sdbus::MethodReply call(const char* interface, const char* method, const Args&... args) {
        sdbus::MethodCall message = new_call(interface, method);
        if constexpr (sizeof...(args) > 0)
            (message << ... << args);
        return getProxy().callMethod(message);
    }
    sdbus::Variant property(const char* name);

    void onGameDetected(const uint32_t& pid, const std::string& name, const std::string& exe,
                        const std::string& reason) override;
    void onGameExited(const uint32_t& pid, const std::string& name) override;
    void onSchedulerExited(const std::string& reason, const std::string& message) override;
    void onPropertiesChanged(const sdbus::InterfaceName& interface_name,
                             const std::map<sdbus::PropertyName, sdbus::Variant>& changed,
                             const std::vector<sdbus::PropertyName>& invalidated) override;
};

// True when the error says nobody serves org.cachyos.ScxGamer (not started, activation failed,
// no system bus).
bool means_not_running(const sdbus::Error& error);

// The JSON form of a D-Bus value (numbers, strings, booleans, arrays and dicts of them).
nlohmann::json to_json(const sdbus::Variant& value);
nlohmann::json to_json(const GameInfo& game);
nlohmann::json to_json(const std::map<std::string, sdbus::Variant>& values);

// A D-Bus value as one line of text ("5000", "--slice-us 5000", "0.25").
std::string to_text(const sdbus::Variant& value);

} // namespace scxgamerctl
