// SPDX-License-Identifier: GPL-2.0-only
// SessionOracle over logind's records (sd-login): the same facts polkit's allow_active reads.
#pragma once

#include "games/eligibility.h"

namespace scx_gamer {

class LoginSessions final : public SessionOracle {
  public:
    // Without logind (no /run/systemd/users) nobody has a session: only root and the rules
    // file's allow_users are eligible.
    bool has_active_local_session(uid_t uid) const override;
};

} // namespace scx_gamer
