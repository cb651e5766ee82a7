// SPDX-License-Identifier: GPL-2.0-only
#include "service/login_sessions.h"

#include <systemd/sd-login.h>

#include <cstdlib>

namespace scx_gamer {

bool LoginSessions::has_active_local_session(uid_t uid) const {
    char** sessions = nullptr;
    const int count = sd_uid_get_sessions(uid, /*require_active=*/1, &sessions);
    bool local = false;
    for (int i = 0; i < count; ++i) {
        // 0: not remote; > 0 remote (ssh, ...); < 0 the session went away meanwhile.
        if (sd_session_is_remote(sessions[i]) == 0)
            local = true;
        // sd-login hands out malloc'd strings in a malloc'd array: free() is the API's release.
        // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
        std::free(sessions[i]);
    }
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
    std::free(static_cast<void*>(sessions));
    return local;
}

} // namespace scx_gamer
