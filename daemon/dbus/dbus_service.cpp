// SPDX-License-Identifier: GPL-2.0-only
// Over 400 lines on purpose: one handler per method of org.cachyos.ScxGamer, each in the same
// order (validate, then polkit, then apply), kept side by side so that the order reads the same
// for every method. Connecting again after the bus is lost is BusPresence's (service/).
#include "dbus_service.h"

#include "bus/bus_loss.h"
#include "bus_client_watch.h"
#include "dbus_errors.h"
#include "games/game_registry.h"
#include "games/proc_reader.h"
#include "ml/game_key.h"
#include "names.h"
#include "polkit_authority.h"
#include "tuning/flags.h"
#include "util/error.h"
#include "util/log.h"
#include "util/text.h"
#include "util/unique_fd.h"

#include "scxgamer-adaptor.h" // generated from dbus/org.cachyos.ScxGamer.xml

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace scx_gamer {
namespace {

using GameRecord = sdbus::Struct<uint32_t, std::string, std::string, std::string, uint64_t>;

// Properties that can change; Version is constant.
constexpr std::array<std::string_view, 4> kChangingProperties{"Profile", "Flags", "SchedulerState",
                                                              "DetectionMethod"};

// What a caller may send to a privileged method, checked before polkit is asked: a call that
// would fail anyway prompts nobody for a password, and no caller parks large arguments in
// checks that wait for polkit (or for a password nobody types).
constexpr std::size_t kMaxFlagArgs = 64;
constexpr std::size_t kMaxFlagArgBytes = 1024;
constexpr std::size_t kMaxPendingPerCaller = 4;
constexpr std::size_t kMaxPendingTotal = 64;

// ApplyFlags' arguments: bounded, and flags the daemon would accept. Every refusal is a
// FlagError (InvalidFlags), as for any other bad flag.
void check_flag_args(const std::vector<std::string>& flags) {
    if (flags.size() > kMaxFlagArgs)
        throw FlagError(std::to_string(flags.size()) + " arguments (at most " +
                        std::to_string(kMaxFlagArgs) + ")");
    for (const auto& flag : flags)
        if (flag.size() > kMaxFlagArgBytes)
            throw FlagError("an argument of " + std::to_string(flag.size()) + " bytes (at most " +
                            std::to_string(kMaxFlagArgBytes) + ")");
    parse_flags(flags);
}

std::string mode_name(ChangeMode mode) {
    return mode == ChangeMode::Reattach ? "reattach" : "live";
}

// The a{sv} options of the *WithOptions methods.
struct CallOptions {
    bool persist = false;
};

// Unknown names and wrong types are the caller's mistake, reported before polkit is asked.
CallOptions parse_call_options(const std::map<std::string, sdbus::Variant>& options) {
    const sdbus::Error::Name invalid_args{dbus_names::kErrorInvalidArgs};
    CallOptions parsed;
    for (const auto& [name, value] : options) {
        if (name != dbus_names::kOptionPersist)
            throw sdbus::Error(invalid_args, "unknown option " + quote_for_message(name) +
                                                 " (known: " + dbus_names::kOptionPersist + ")");
        if (!value.containsValueOfType<bool>()) {
            const char* type = value.peekValueType();
            throw sdbus::Error(invalid_args, std::string("option ") + dbus_names::kOptionPersist +
                                                 " must be a boolean (b), not " +
                                                 quote_for_message(type ? type : ""));
        }
        parsed.persist = value.get<bool>();
    }
    return parsed;
}

// A learned profile as the a{sv} of ListLearnedProfiles / GetLearnedProfile (keys in the XML).
std::map<std::string, sdbus::Variant> learned_dict(const ml::LearnedProfile& profile,
                                                   const std::string& active_profile) {
    return {
        {"key", sdbus::Variant{profile.key}},
        {"game", sdbus::Variant{profile.game}},
        {"flags", sdbus::Variant{to_args(profile.tunables)}},
        {"source", sdbus::Variant{profile.source}},
        {"date", sdbus::Variant{profile.date}},
        {"objective_before_us", sdbus::Variant{profile.objective_before}},
        {"objective_after_us", sdbus::Variant{profile.objective_after}},
        {"before_flags", sdbus::Variant{to_args(profile.before)}},
        {"trials", sdbus::Variant{static_cast<uint32_t>(profile.trials)}},
        {"windows", sdbus::Variant{static_cast<uint32_t>(profile.windows)}},
        {"single_config", sdbus::Variant{profile.single_config}},
        {"applied", sdbus::Variant{active_profile == "learned:" + profile.key}},
    };
}

std::string describe(const AuthorizationSubject& caller) {
    std::string text = caller.bus_name.empty() ? std::string{"unknown caller"} : caller.bus_name;
    if (caller.uid)
        text += " (uid " + std::to_string(*caller.uid) + ")";
    return text;
}

} // namespace

class ScxGamerObject final : public sdbus::AdaptorInterfaces<org::cachyos::ScxGamer_adaptor> {
  public:
    ScxGamerObject(sdbus::IConnection& bus, sd_event* loop, Controller& controller,
                   std::string version)
        : AdaptorInterfaces(bus, sdbus::ObjectPath{dbus_names::kObjectPath}),
          controller_(controller), version_(std::move(version)), polkit_(bus),
          clients_(bus, loop, [this](const std::string& owner) { client_left(owner); }) {
        registerAdaptor();
    }

    ~ScxGamerObject() { unregisterAdaptor(); }

    // Controller events.
    void game_detected(const Game& game) {
        emitGameDetected(game.pid, game.name, game.exe, game.reason);
    }

    void game_exited(const Game& game) {
        emitGameExited(game.pid, game.name);
        // Stop watching a client once nothing it registered is left.
        if (game.registered_by && clients_.watching(*game.registered_by)) {
            const auto games = controller_.games();
            const bool owns_more = std::any_of(games.begin(), games.end(), [&](const Game& g) {
                return g.registered_by == game.registered_by;
            });
            if (!owns_more)
                clients_.forget(*game.registered_by);
        }
    }

    void scheduler_exited(const std::string& reason, const std::string& message) {
        emitSchedulerExited(reason, message);
    }

    void properties_changed(const std::vector<std::string>& names) {
        std::vector<sdbus::PropertyName> known;
        for (const auto& name : names)
            if (std::find(kChangingProperties.begin(), kChangingProperties.end(), name) !=
                kChangingProperties.end())
                known.emplace_back(name);
            else
                log_debug("D-Bus: ignoring change of unknown property ", name);
        if (!known.empty())
            getObject().emitPropertiesChangedSignal(sdbus::InterfaceName{INTERFACE_NAME}, known);
    }

  private:
    // Unprivileged methods: exceptions become D-Bus errors through to_dbus_error.
    std::map<std::string, sdbus::Variant> GetStats() override {
        return translating_errors([&] {
            std::map<std::string, sdbus::Variant> out;
            for (const auto& [key, value] : controller_.stats())
                out.emplace(key,
                            std::visit([](const auto& v) { return sdbus::Variant{v}; }, value));
            return out;
        });
    }

    std::map<std::string, std::vector<std::string>> ListProfiles() override {
        return translating_errors([&] { return controller_.profiles(); });
    }

    std::vector<GameRecord> ListGames() override {
        return translating_errors([&] {
            std::vector<GameRecord> out;
            for (const Game& game : controller_.games())
                out.emplace_back(game.pid, game.name, game.exe, game.reason, game.detected_at_us);
            return out;
        });
    }

    // Privileged methods: asynchronous, so a polkit password dialog does not stall the loop.
    void SetProfile(sdbus::Result<std::string>&& result, std::string name) override {
        set_profile(std::move(result), name, CallOptions{});
    }

    void SetProfileWithOptions(sdbus::Result<std::string>&& result, std::string name,
                               std::map<std::string, sdbus::Variant> options) override {
        if (auto parsed = parse_options_or_reply(result, options))
            set_profile(std::move(result), name, *parsed);
    }

    void ApplyFlags(sdbus::Result<std::string>&& result, std::vector<std::string> flags) override {
        apply_flags(std::move(result), flags, CallOptions{});
    }

    void ApplyFlagsWithOptions(sdbus::Result<std::string>&& result, std::vector<std::string> flags,
                               std::map<std::string, sdbus::Variant> options) override {
        if (auto parsed = parse_options_or_reply(result, options))
            apply_flags(std::move(result), flags, *parsed);
    }

    // The a{sv} of a ...WithOptions call, or nullopt once the caller got InvalidArgs for it.
    static std::optional<CallOptions>
    parse_options_or_reply(sdbus::Result<std::string>& result,
                           const std::map<std::string, sdbus::Variant>& options) {
        try {
            return parse_call_options(options);
        } catch (const sdbus::Error& e) {
            result.returnError(e);
            return std::nullopt;
        }
    }

    void RegisterGame(sdbus::Result<>&& result, uint32_t pid) override {
        register_game(std::move(result), pid, {});
    }

    void RegisterGameWithOptions(sdbus::Result<>&& result, uint32_t pid,
                                 std::map<std::string, sdbus::Variant> options) override {
        Controller::Registration registration;
        if (!checked(result, [&] { registration = parse_registration_options(options); }))
            return;
        register_game(std::move(result), pid, registration);
    }

    // The process is pinned by a pidfd from the start: what was checked (it exists, its owner is
    // the caller) is about the process registered, even if its pid is reused while polkit asks.
    void register_game(sdbus::Result<>&& result, uint32_t pid,
                       const Controller::Registration& registration) {
        auto pin = std::make_shared<UniqueFd>();
        if (!checked(result, [&] {
                const sdbus::Error::Name failed{dbus_names::kErrorFailed};
                const std::string no_such = "no process with pid " + std::to_string(pid);
                if (pid == 0 || pid > static_cast<uint32_t>(std::numeric_limits<pid_t>::max()))
                    throw sdbus::Error(failed, no_such);
                *pin = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
                if (!*pin)
                    throw sdbus::Error(failed, no_such);
                check_caller_owns(pid);
                if (!pinned_alive(*pin)) // the owner read was of the pinned process
                    throw sdbus::Error(failed, no_such);
            }))
            return;
        authorize_then(std::move(result), dbus_names::kActionRegisterGame,
                       {{"pid", std::to_string(pid)}},
                       [this, pid, pin, registration](sdbus::Result<>& reply,
                                                      const AuthorizationSubject& caller) {
                           if (!pinned_alive(*pin))
                               throw sdbus::Error(sdbus::Error::Name{dbus_names::kErrorFailed},
                                                  "process " + std::to_string(pid) + " exited");
                           Controller::Registration as = registration;
                           as.owner = caller.bus_name;
                           controller_.register_game(pid, as);
                           // The registration lives as long as the caller's connection.
                           clients_.watch(caller.bus_name);
                           log_info("D-Bus: ", describe(caller), " registered pid ", pid,
                                    as.via.empty() ? "" : " (" + as.via + ")");
                           reply.returnResults();
                       });
    }

    static Controller::Registration
    parse_registration_options(const std::map<std::string, sdbus::Variant>& options) {
        const sdbus::Error::Name invalid_args{dbus_names::kErrorInvalidArgs};
        Controller::Registration parsed;
        for (const auto& [name, value] : options) {
            if (name != "name" && name != "via")
                throw sdbus::Error(invalid_args, "unknown option " + quote_for_message(name) +
                                                     " (known: name, via)");
            if (!value.containsValueOfType<std::string>())
                throw sdbus::Error(invalid_args, "option " + name + " must be a string (s)");
            std::string text = value.get<std::string>();
            if (name == "via" && text != "launch" && text != "gamemode")
                throw sdbus::Error(invalid_args,
                                   "option via must be \"launch\" or \"gamemode\", not " +
                                       quote_for_message(text));
            (name == "name" ? parsed.name : parsed.via) = to_valid_utf8(text, kMaxGameNameBytes);
        }
        return parsed;
    }

    static bool pinned_alive(const UniqueFd& pidfd) {
        return syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) == 0;
    }

    // Nobody makes another user's process a game, or ends its registration: the caller must own
    // the process (real uid), or be root. Asked of the bus daemon, not of the caller.
    void check_caller_owns(uint32_t pid) {
        const AuthorizationSubject caller =
            AuthorizationSubject::of_call(getObject().getCurrentlyProcessedMessage());
        const auto owner = LinuxProcReader().owner(static_cast<pid_t>(pid));
        if (caller.uid && *caller.uid == 0)
            return;
        if (!caller.uid || !owner || *caller.uid != *owner)
            throw sdbus::Error(sdbus::Error::Name{dbus_names::kErrorAccessDenied},
                               "pid " + std::to_string(pid) + " is not a process of the caller");
    }

    void UnregisterGame(sdbus::Result<>&& result, uint32_t pid) override {
        std::error_code ec;
        if (!checked(result, [&] {
                if (std::filesystem::exists("/proc/" + std::to_string(pid), ec))
                    check_caller_owns(pid);
            }))
            return;
        authorize_then(
            std::move(result), dbus_names::kActionRegisterGame, {{"pid", std::to_string(pid)}},
            [this, pid](sdbus::Result<>& reply, const AuthorizationSubject& caller) {
                if (!controller_.unregister_game(pid))
                    throw sdbus::Error(sdbus::Error::Name{dbus_names::kErrorNotRegistered},
                                       "pid " + std::to_string(pid) + " is not a registered game");
                log_info("D-Bus: ", describe(caller), " unregistered pid ", pid);
                reply.returnResults();
            });
    }

    std::vector<std::map<std::string, sdbus::Variant>> ListLearnedProfiles() override {
        return translating_errors([&] {
            std::vector<std::map<std::string, sdbus::Variant>> out;
            const std::string active = controller_.profile();
            for (const auto& profile : controller_.learned_profiles())
                out.push_back(learned_dict(profile, active));
            return out;
        });
    }

    std::map<std::string, sdbus::Variant> GetLearnedProfile(const std::string& key) override {
        return translating_errors(
            [&] { return learned_dict(controller_.learned_profile(key), controller_.profile()); });
    }

    std::string ExportLearnedProfile(const std::string& key) override {
        return translating_errors([&] { return controller_.export_learned_profile(key); });
    }

    void DeleteLearnedProfile(sdbus::Result<>&& result, std::string key) override {
        if (!checked(result, [&] {
                if (!ml::is_valid_key(key))
                    throw UnknownLearnedProfile("no learned profile " + quote_for_message(key));
            }))
            return;
        authorize_then(std::move(result), dbus_names::kActionDeleteLearnedProfile, {{"key", key}},
                       [this, key](sdbus::Result<>& reply, const AuthorizationSubject& caller) {
                           controller_.delete_learned_profile(key);
                           log_info("D-Bus: ", describe(caller), " deleted learned profile ",
                                    quote_for_message(key));
                           reply.returnResults();
                       });
    }

    std::string Profile() override {
        return translating_errors([&] { return controller_.profile(); });
    }
    std::vector<std::string> Flags() override {
        return translating_errors([&] { return controller_.flags(); });
    }
    std::string SchedulerState() override {
        return translating_errors([&] { return controller_.scheduler_state(); });
    }
    std::string DetectionMethod() override {
        return translating_errors([&] { return controller_.detection_method(); });
    }
    std::string Version() override { return version_; }

    // Saving edits /etc: with persist, the persist action stands in for the method's own.
    void set_profile(sdbus::Result<std::string>&& result, const std::string& name,
                     const CallOptions& options) {
        if (!checked(result, [&] {
                if (!controller_.profiles().contains(name))
                    throw UnknownProfile("unknown profile " + quote_for_message(name));
            }))
            return;
        std::map<std::string, std::string> details{{"profile", name}};
        if (options.persist)
            details.emplace(dbus_names::kOptionPersist, "true");
        authorize_then(std::move(result),
                       options.persist ? dbus_names::kActionPersist : dbus_names::kActionSetProfile,
                       details,
                       [this, name, options](sdbus::Result<std::string>& reply,
                                             const AuthorizationSubject& caller) {
                           const ApplyOutcome outcome = controller_.set_profile(name);
                           log_info("D-Bus: ", describe(caller), " set profile ", name);
                           if (options.persist)
                               persist_applied_change(caller);
                           reply.returnResults(mode_name(outcome.mode));
                       });
    }

    void apply_flags(sdbus::Result<std::string>&& result, const std::vector<std::string>& flags,
                     const CallOptions& options) {
        if (!checked(result, [&] { check_flag_args(flags); }))
            return;
        std::string joined;
        for (const auto& flag : flags)
            joined += (joined.empty() ? "" : " ") + flag;
        std::map<std::string, std::string> details{{"flags", joined}};
        if (options.persist)
            details.emplace(dbus_names::kOptionPersist, "true");
        authorize_then(std::move(result),
                       options.persist ? dbus_names::kActionPersist : dbus_names::kActionApplyFlags,
                       details,
                       [this, flags, options](sdbus::Result<std::string>& reply,
                                              const AuthorizationSubject& caller) {
                           const ApplyOutcome outcome = controller_.apply_flags(flags);
                           log_info("D-Bus: ", describe(caller), " applied flags (",
                                    mode_name(outcome.mode), ")");
                           if (options.persist)
                               persist_applied_change(caller);
                           reply.returnResults(mode_name(outcome.mode));
                       });
    }

    // The change is in force already; a failure to save must say so, or a client would retry
    // (or report) a change that did happen.
    void persist_applied_change(const AuthorizationSubject& caller) {
        try {
            controller_.persist();
        } catch (const std::exception& e) {
            log_warning("D-Bus: saving the change of ", describe(caller), " failed: ", e.what());
            throw sdbus::Error(sdbus::Error::Name{dbus_names::kErrorPersistFailed},
                               std::string("the change was applied to the running scheduler but "
                                           "not saved for the next start: ") +
                                   e.what());
        }
        log_info("D-Bus: ", describe(caller), " saved the change for the next start");
    }

    template <typename Body> static auto translating_errors(Body body) -> decltype(body()) {
        try {
            return body();
        } catch (...) {
            throw to_dbus_error(std::current_exception());
        }
    }

    // Runs the checks of a call's arguments; false once the caller got the error they raised.
    template <typename... Outputs, typename Checks>
    static bool checked(sdbus::Result<Outputs...>& result, Checks checks) {
        try {
            checks();
            return true;
        } catch (...) {
            result.returnError(to_dbus_error(std::current_exception()));
            return false;
        }
    }

    // Runs `action` once polkit allows the caller `action_id`, else replies with the refusal.
    // Must be called from the method handler: the caller is read from the message in progress.
    template <typename... Outputs, typename Action>
    void authorize_then(sdbus::Result<Outputs...>&& result, const char* action_id,
                        const std::map<std::string, std::string>& details, const Action& action) {
        AuthorizationSubject caller;
        try {
            caller = AuthorizationSubject::of_call(getObject().getCurrentlyProcessedMessage());
        } catch (const sdbus::Error& e) {
            result.returnError(to_dbus_error({AuthorizationVerdict::Denied, e.getMessage()}));
            return;
        }
        std::size_t& callers_pending = pending_[caller.bus_name];
        if (callers_pending >= kMaxPendingPerCaller || pending_total_ >= kMaxPendingTotal) {
            if (callers_pending == 0)
                pending_.erase(caller.bus_name);
            log_notice("D-Bus: refused ", action_id, " to ", describe(caller),
                       ": too many calls waiting for polkit");
            result.returnError(sdbus::Error(
                sdbus::Error::Name{dbus_names::kErrorLimitsExceeded},
                "too many calls waiting for authorization; try again once they are answered"));
            return;
        }
        ++callers_pending;
        ++pending_total_;
        // sdbus::Result is move-only; the polkit callback must be copyable.
        auto reply = std::make_shared<sdbus::Result<Outputs...>>(std::move(result));
        std::string action_name{action_id};
        polkit_.check(caller, action_name, details,
                      [this, reply, caller, action_name, action](const AuthorizationResult& auth) {
                          answered(caller.bus_name);
                          if (auth.verdict != AuthorizationVerdict::Allowed) {
                              log_notice("D-Bus: refused ", action_name, " to ", describe(caller),
                                         ": ", auth.detail);
                              reply->returnError(to_dbus_error(auth));
                              return;
                          }
                          try {
                              action(*reply, caller);
                          } catch (...) {
                              reply->returnError(to_dbus_error(std::current_exception()));
                          }
                      });
    }

    // A check of `bus_name`'s came back from polkit.
    void answered(const std::string& bus_name) {
        --pending_total_;
        if (auto it = pending_.find(bus_name); it != pending_.end() && --it->second == 0)
            pending_.erase(it);
    }

    void client_left(const std::string& owner) {
        log_debug("D-Bus: client ", owner, " left; dropping its registrations");
        try {
            controller_.client_vanished(owner);
        } catch (const std::exception& e) {
            log_warning("D-Bus: dropping the registrations of ", owner, ": ", e.what());
        }
    }

    Controller& controller_;
    const std::string version_;
    // Checks waiting for polkit, per caller (unique bus name) and in all.
    std::map<std::string, std::size_t> pending_;
    std::size_t pending_total_ = 0;
    PolkitAuthority polkit_; // after pending_: its callbacks, cancelled with it, touch pending_
    BusClientWatch clients_;
};

std::unique_ptr<sdbus::IConnection> DbusService::connect_system_bus() {
    return sdbus::createSystemBusConnection();
}

DbusService::DbusService(sdbus::IConnection& bus, bool detach_loop_on_exit)
    : bus_(bus), detach_loop_on_exit_(detach_loop_on_exit) {}

std::unique_ptr<DbusService> DbusService::start(sdbus::IConnection& bus, sd_event* loop,
                                                Controller& controller, std::string version) {
    if (loop == nullptr)
        throw std::invalid_argument("DbusService needs the daemon's sd-event loop");
    sd_event* attached = bus.getSdEventLoop();
    if (attached != nullptr && attached != loop)
        throw std::invalid_argument("the bus connection is attached to another sd-event loop");
    if (attached == nullptr)
        bus.attachSdEventLoop(loop);

    std::unique_ptr<DbusService> service(new DbusService(bus, attached == nullptr));
    service->object_ = std::make_shared<ScxGamerObject>(bus, loop, controller, std::move(version));

    std::weak_ptr<ScxGamerObject> weak = service->object_;
    ControllerEvents events;
    events.owner = weak; // a service replaced after losing the bus drops out
    events.game_detected = [weak](const Game& game) {
        if (auto object = weak.lock())
            object->game_detected(game);
    };
    events.game_exited = [weak](const Game& game) {
        if (auto object = weak.lock())
            object->game_exited(game);
    };
    events.properties_changed = [weak](const std::vector<std::string>& names) {
        if (auto object = weak.lock())
            object->properties_changed(names);
    };
    events.scheduler_exited = [weak](const std::string& reason, const std::string& message) {
        if (auto object = weak.lock())
            object->scheduler_exited(reason, message);
    };
    controller.subscribe(std::move(events));

    bus.requestName(sdbus::ServiceName{dbus_names::kBusName});
    service->owns_name_ = true;
    log_info("D-Bus: serving ", dbus_names::kBusName, " as ", std::string{bus.getUniqueName()});
    return service;
}

void DbusService::on_disconnect(std::function<void()> lost) {
    lost_ = std::move(lost);
    if (disconnect_match_)
        return;
    disconnect_match_ = watch_bus_loss(bus_, [this] {
        detach_loop_on_exit_ = false; // watch_bus_loss detached it
        if (auto lost = std::exchange(lost_, nullptr))
            lost();
    });
}

DbusService::~DbusService() {
    disconnect_match_.reset();
    if (owns_name_) {
        try {
            bus_.releaseName(sdbus::ServiceName{dbus_names::kBusName});
        } catch (const sdbus::Error& e) {
            log_debug("D-Bus: releasing ", dbus_names::kBusName, ": ", e.getMessage());
        }
    }
    object_.reset();
    if (detach_loop_on_exit_) {
        try {
            bus_.detachSdEventLoop();
        } catch (const sdbus::Error& e) {
            log_debug("D-Bus: detaching from the event loop: ", e.getMessage());
        }
    }
}

} // namespace scx_gamer
