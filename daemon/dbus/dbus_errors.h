// SPDX-License-Identifier: GPL-2.0-only
// Turns what the daemon throws into the D-Bus error a client sees. One place, so every method
// maps the same exception to the same error name.
#pragma once

#include "polkit_authority.h"

#include <sdbus-c++/Error.h>

#include <exception>

namespace scx_gamer {

// UnknownProfile -> ...Error.UnknownProfile, FlagError -> ...Error.InvalidFlags, an sdbus::Error
// as it is, anything else -> ...Error.Failed; the message is the exception's what().
sdbus::Error to_dbus_error(const std::exception_ptr& error);

// The error for a check that did not allow the call: AccessDenied, or
// InteractiveAuthorizationRequired when authenticating would have helped.
sdbus::Error to_dbus_error(const AuthorizationResult& refusal);

} // namespace scx_gamer
