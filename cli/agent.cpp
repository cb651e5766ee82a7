// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl agent: runs in the user's session and turns scx_gamer's GameDetected/GameExited
// signals (system bus) into desktop notifications (session bus). The daemon runs as root and
// cannot reach a user's session bus sensibly, so a small per-user agent does it, as
// systembus-notify does for earlyoom.
//
// It also bridges Feral GameMode: every game GameMode registers on the session bus (gamemoderun,
// Lutris, Heroic, Bottles asking GameMode) is registered with scx_gamer as a game, and
// unregistered when GameMode lets it go. scx_gamer checks that the process is this user's.
//
// Opt-out: --no-notify, or `notify = false` in $XDG_CONFIG_HOME/scx_gamer/agent.toml, for the
// notifications; `gamemode = false` there for the GameMode bridge. With both off the agent has
// nothing to do and exits at once, so a disabled agent costs nothing.
#include "commands.h"

#include "daemon_client.h"
#include "signal_loop.h"

#include "util/toml_location.h"

#include <toml.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

namespace scxgamerctl {
namespace {

namespace fs = std::filesystem;

// Owned on the session bus while an agent runs.
constexpr const char* kAgentBusName = "org.cachyos.ScxGamer.NotificationAgent";

const sdbus::ServiceName kNotifications{"org.freedesktop.Notifications"};
const sdbus::ObjectPath kNotificationsPath{"/org/freedesktop/Notifications"};
constexpr const char* kNotificationsInterface = "org.freedesktop.Notifications";

std::optional<fs::path> config_path() {
    if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config)
        return fs::path(config) / "scx_gamer" / "agent.toml";
    if (const char* home = std::getenv("HOME"); home && *home)
        return fs::path(home) / ".config" / "scx_gamer" / "agent.toml";
    return std::nullopt;
}

struct AgentConfig {
    bool notify = true;
    bool gamemode = true; // forward GameMode's games to scx_gamer
};

// A missing file means defaults; a malformed one is an error rather than a silent default, since
// the likeliest reason to write it is to turn notifications off. Throws std::runtime_error.
AgentConfig read_config(const fs::path& path) {
    AgentConfig config;
    std::error_code error;
    if (!fs::exists(path, error))
        return config;
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error(path.string() + ": cannot be read");
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    // Not toml::parse(): toml11 4.4 never returns on some bad bytes in comments.
    auto parsed = scx_gamer::toml_text::parse(text, path.string());
    if (parsed.is_err())
        throw std::runtime_error(parsed.unwrap_err());
    try {
        const auto& root = parsed.unwrap();
        if (root.contains("notify"))
            config.notify = toml::find<bool>(root, "notify");
        if (root.contains("gamemode"))
            config.gamemode = toml::find<bool>(root, "gamemode");
    } catch (const std::exception& e) {
        throw std::runtime_error(e.what());
    }
    return config;
}

// Shows one notification at a time: each new one replaces the previous (replaces_id), so a
// session of games leaves one entry behind instead of a stack. Until the notification server
// has answered with the id to replace, a newer notification waits (only the newest is kept),
// or quick detect/exit pairs would stack after all.
class Notifier {
  public:
    explicit Notifier(sdbus::IConnection& session_bus)
        : notifications_(sdbus::createProxy(session_bus, kNotifications, kNotificationsPath)) {}

    void show(std::string summary, std::string body) {
        if (in_flight_) {
            waiting_ = Notification{std::move(summary), std::move(body)};
            return;
        }
        send({std::move(summary), std::move(body)});
    }

  private:
    struct Notification {
        std::string summary;
        std::string body;
    };

    void send(const Notification& notification) {
        const std::map<std::string, sdbus::Variant> hints{
            {"urgency", sdbus::Variant{uint8_t{1}}}, // normal
            // Shown while the game starts; no need to keep it in the notification history.
            {"transient", sdbus::Variant{true}},
        };
        in_flight_ = true;
        notifications_->callMethodAsync("Notify")
            .onInterface(kNotificationsInterface)
            .withArguments(std::string{"scx_gamer"}, last_id_, std::string{"applications-games"},
                           notification.summary, notification.body, std::vector<std::string>{},
                           hints, int32_t{-1})
            .uponReplyInvoke([this](std::optional<sdbus::Error> error, uint32_t id) {
                in_flight_ = false;
                if (error) {
                    if (!warned_)
                        std::fprintf(stderr, "scxgamerctl agent: cannot show a notification: %s\n",
                                     error->getMessage().c_str());
                    warned_ = true;
                } else {
                    last_id_ = id;
                    warned_ = false;
                }
                if (waiting_) {
                    const Notification next = std::move(*waiting_);
                    waiting_.reset();
                    send(next);
                }
            });
    }

    std::unique_ptr<sdbus::IProxy> notifications_;
    uint32_t last_id_ = 0; // 0: nothing to replace
    bool in_flight_ = false;
    std::optional<Notification> waiting_;
    bool warned_ = false; // one warning per outage, not one per game
};

// Feral GameMode's daemon on the session bus (gamemoded, 1.5 and later: signals and ListGames).
const sdbus::ServiceName kGameMode{"com.feralinteractive.GameMode"};
const sdbus::ObjectPath kGameModePath{"/com/feralinteractive/GameMode"};
constexpr const char* kGameModeInterface = "com.feralinteractive.GameMode";
// More games than GameMode would ever have for one user; what a hostile stand-in could push
// beyond is ignored (scx_gamer's own per-user limit applies first anyway).
constexpr std::size_t kMaxBridgedGames = 256;

// Forwards GameMode's games to scx_gamer. Whether GameMode starts before or after the agent: its
// signals are matched by its well-known name, its games are listed when it appears (and at
// start), and those it had are unregistered when it goes. GameMode is never started by us.
class GameModeBridge {
  public:
    GameModeBridge(sdbus::IConnection& session_bus, DaemonClient& daemon)
        : bus_(session_bus), daemon_(daemon) {
        const std::string sender = std::string("sender='") + kGameMode.c_str() + "'";
        games_match_ = bus_.addMatch(
            "type='signal'," + sender + ",path='" + kGameModePath.c_str() + "',interface='" +
                kGameModeInterface + "'",
            [this](sdbus::Message message) { on_signal(message); }, sdbus::return_slot);
        owner_match_ = bus_.addMatch(
            std::string("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop."
                        "DBus',member='NameOwnerChanged',arg0='") +
                kGameMode.c_str() + "'",
            [this](sdbus::Message message) { on_owner_changed(message); }, sdbus::return_slot);
        if (gamemode_runs())
            list_games();
    }

  private:
    bool gamemode_runs() {
        try {
            auto bus = sdbus::createProxy(bus_, sdbus::ServiceName{"org.freedesktop.DBus"},
                                          sdbus::ObjectPath{"/org/freedesktop/DBus"});
            bool has_owner = false;
            bus->callMethod("NameHasOwner")
                .onInterface("org.freedesktop.DBus")
                .withArguments(std::string(kGameMode.c_str()))
                .storeResultsTo(has_owner);
            return has_owner;
        } catch (const sdbus::Error&) {
            return false;
        }
    }

    // The games GameMode has already (it ran before us, or just appeared).
    void list_games() {
        try {
            auto gamemode = sdbus::createProxy(bus_, kGameMode, kGameModePath);
            std::vector<sdbus::Struct<int32_t, sdbus::ObjectPath>> games;
            gamemode->callMethod("ListGames").onInterface(kGameModeInterface).storeResultsTo(games);
            for (const auto& game : games)
                forward(std::get<0>(game));
        } catch (const sdbus::Error& e) {
            std::fprintf(stderr, "scxgamerctl agent: cannot list GameMode's games: %s\n",
                         e.getMessage().c_str());
        }
    }

    void on_signal(sdbus::Message& message) {
        try {
            int32_t pid = 0;
            sdbus::ObjectPath path;
            message >> pid >> path;
            const std::string member = message.getMemberName();
            if (member == "GameRegistered")
                forward(pid);
            else if (member == "GameUnregistered")
                drop(pid);
        } catch (const sdbus::Error&) {
            // Not GameMode's signature: not a signal of ours to act on.
        }
    }

    void on_owner_changed(sdbus::Message& message) {
        try {
            std::string name, old_owner, new_owner;
            message >> name >> old_owner >> new_owner;
            if (!old_owner.empty()) // GameMode went (or was replaced): its games are no more
                for (const int32_t pid : std::set<int32_t>(forwarded_))
                    drop(pid);
            if (!new_owner.empty())
                list_games();
        } catch (const sdbus::Error&) {
        }
    }

    void forward(int32_t pid) {
        if (pid <= 0 || forwarded_.contains(pid) || forwarded_.size() >= kMaxBridgedGames)
            return;
        try {
            daemon_.register_game(static_cast<uint32_t>(pid), "", "gamemode");
            forwarded_.insert(pid);
            std::fprintf(stderr, "scxgamerctl agent: GameMode game %d registered\n", pid);
        } catch (const sdbus::Error& e) {
            std::fprintf(stderr, "scxgamerctl agent: GameMode game %d not registered: %s\n", pid,
                         means_not_running(e) ? "scx_gamer is not running"
                                              : e.getMessage().c_str());
        }
    }

    void drop(int32_t pid) {
        if (forwarded_.erase(pid) == 0)
            return;
        try {
            daemon_.unregister_game(static_cast<uint32_t>(pid));
            std::fprintf(stderr, "scxgamerctl agent: GameMode game %d unregistered\n", pid);
        } catch (const sdbus::Error&) {
            // Gone already (it exited, or scx_gamer restarted): nothing left to undo.
        }
    }

    sdbus::IConnection& bus_;
    DaemonClient& daemon_;
    std::set<int32_t> forwarded_;
    sdbus::Slot games_match_;
    sdbus::Slot owner_match_;
};

} // namespace

int cmd_agent(const GlobalOptions& /*options*/, bool no_notify) {
    const auto path = config_path();
    AgentConfig config;
    if (path) {
        try {
            config = read_config(*path);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "scxgamerctl agent: %s\n", e.what());
            return kExitFailed;
        }
    }
    const bool notify = !no_notify && config.notify;
    if (!notify && !config.gamemode) {
        std::fprintf(stderr,
                     "scxgamerctl agent: notifications are off (%s) and so is the GameMode "
                     "bridge (gamemode = false); nothing to do\n",
                     no_notify ? "--no-notify" : ("notify = false in " + path->string()).c_str());
        return kExitOk;
    }

    SignalLoop loop;
    // Either bus going away ends the loop with a failure, so the user unit restarts the agent.
    auto system_bus = connect_system_bus(false, true);
    auto session_bus = connect_session_bus(true);
    // One agent per session: the user unit and XDG autostart may both start one.
    try {
        session_bus->requestName(sdbus::ServiceName{kAgentBusName});
    } catch (const sdbus::Error& e) {
        if (e.getName() != "org.freedesktop.DBus.Error.FileExists")
            throw;
        std::fprintf(stderr, "scxgamerctl agent: another agent already runs in this session\n");
        return kExitOk;
    }
    system_bus->attachSdEventLoop(loop.get());
    session_bus->attachSdEventLoop(loop.get());

    Notifier notifier(*session_bus);
    DaemonClient daemon(*system_bus);
    // The profile at the time of the event (the daemon may switch it when a game starts). If
    // the daemon cannot be asked, the notification still goes out without it.
    auto profile_line = [&daemon]() -> std::string {
        try {
            return "scx_gamer profile: " + daemon.profile();
        } catch (const sdbus::Error&) {
            return "scx_gamer profile: unknown";
        }
    };
    if (notify) {
        daemon.on_game_detected = [&](const GameInfo& game) {
            notifier.show("Game detected: " + game.name, profile_line());
        };
        daemon.on_game_exited = [&](uint32_t /*pid*/, const std::string& name) {
            notifier.show("Game exited: " + name, profile_line());
        };
        // The signals are matched by the daemon's well-known name, so they arrive whenever the
        // daemon runs, including after it starts later or restarts.
        daemon.follow_signals();
    }
    std::optional<GameModeBridge> gamemode;
    if (config.gamemode)
        gamemode.emplace(*session_bus, daemon);
    std::fprintf(stderr, "scxgamerctl agent: watching for games%s%s\n",
                 notify ? "" : " (notifications off)",
                 config.gamemode ? ", GameMode bridge on" : "");
    return loop.run();
}

} // namespace scxgamerctl
