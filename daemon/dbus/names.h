// SPDX-License-Identifier: GPL-2.0-only
// Names of scx_gamer's D-Bus API that are not in the generated code: where the object lives and
// which errors it replies with. Header-only so scxgamerctl shares the spelling with the daemon.
// The interface itself (members and signatures) lives in dbus/org.cachyos.ScxGamer.xml.
#pragma once

namespace scx_gamer::dbus_names {

inline constexpr const char* kBusName = "org.cachyos.ScxGamer";
inline constexpr const char* kObjectPath = "/org/cachyos/ScxGamer";
inline constexpr const char* kInterface = "org.cachyos.ScxGamer";

// polkit actions (polkit/org.cachyos.scxgamer.policy).
inline constexpr const char* kActionSetProfile = "org.cachyos.scxgamer.set-profile";
inline constexpr const char* kActionApplyFlags = "org.cachyos.scxgamer.apply-flags";
inline constexpr const char* kActionRegisterGame = "org.cachyos.scxgamer.register-game";
// SetProfileWithOptions / ApplyFlagsWithOptions with persist=true: the change and saving it.
inline constexpr const char* kActionPersist = "org.cachyos.scxgamer.persist";
// DeleteLearnedProfile.
inline constexpr const char* kActionDeleteLearnedProfile =
    "org.cachyos.scxgamer.delete-learned-profile";

// Errors of our own.
inline constexpr const char* kErrorUnknownProfile = "org.cachyos.ScxGamer.Error.UnknownProfile";
inline constexpr const char* kErrorInvalidFlags = "org.cachyos.ScxGamer.Error.InvalidFlags";
inline constexpr const char* kErrorNotRegistered = "org.cachyos.ScxGamer.Error.NotRegistered";
inline constexpr const char* kErrorFailed = "org.cachyos.ScxGamer.Error.Failed";
inline constexpr const char* kErrorPersistFailed = "org.cachyos.ScxGamer.Error.PersistFailed";
inline constexpr const char* kErrorUnknownLearnedProfile =
    "org.cachyos.ScxGamer.Error.UnknownLearnedProfile";

// Standard errors we reply with.
inline constexpr const char* kErrorAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* kErrorInteractiveAuthorizationRequired =
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
inline constexpr const char* kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* kErrorLimitsExceeded = "org.freedesktop.DBus.Error.LimitsExceeded";

// Keys of the a{sv} options of the *WithOptions methods.
inline constexpr const char* kOptionPersist = "persist";

} // namespace scx_gamer::dbus_names
