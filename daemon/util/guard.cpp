// SPDX-License-Identifier: GPL-2.0-only
#include "util/guard.h"

#include "util/log.h"

#include <exception>

namespace scx_gamer {

bool run_guarded(std::string_view context, const std::function<void()>& fn) noexcept {
    try {
        fn();
        return true;
    } catch (const std::exception& e) {
        log_err(context, " failed (carrying on): ", e.what());
    } catch (...) {
        log_err(context, " failed (carrying on): an unknown exception");
    }
    return false;
}

} // namespace scx_gamer
