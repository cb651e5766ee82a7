// SPDX-License-Identifier: GPL-2.0-only
#include "dbus_errors.h"

#include "control/controller.h"
#include "names.h"
#include "util/error.h"

namespace scx_gamer {

sdbus::Error to_dbus_error(const std::exception_ptr& error) {
    using namespace dbus_names;
    try {
        std::rethrow_exception(error);
    } catch (const UnknownProfile& e) {
        return sdbus::Error(sdbus::Error::Name{kErrorUnknownProfile}, e.what());
    } catch (const UnknownLearnedProfile& e) {
        return sdbus::Error(sdbus::Error::Name{kErrorUnknownLearnedProfile}, e.what());
    } catch (const GameLimitReached& e) {
        return sdbus::Error(sdbus::Error::Name{kErrorLimitsExceeded}, e.what());
    } catch (const FlagError& e) {
        return sdbus::Error(sdbus::Error::Name{kErrorInvalidFlags}, e.what());
    } catch (const sdbus::Error& e) {
        return e;
    } catch (const std::exception& e) {
        return sdbus::Error(sdbus::Error::Name{kErrorFailed}, e.what());
    } catch (...) {
        return sdbus::Error(sdbus::Error::Name{kErrorFailed}, "unexpected failure");
    }
}

sdbus::Error to_dbus_error(const AuthorizationResult& refusal) {
    using namespace dbus_names;
    if (refusal.verdict == AuthorizationVerdict::NeedsInteraction)
        return sdbus::Error(sdbus::Error::Name{kErrorInteractiveAuthorizationRequired},
                            "Authentication is required (" + refusal.detail + ")");
    return sdbus::Error(sdbus::Error::Name{kErrorAccessDenied},
                        "Not authorized: " + refusal.detail);
}

} // namespace scx_gamer
