// SPDX-License-Identifier: GPL-2.0-only
// Exit codes of the daemon (Daemon::run()).
#pragma once

namespace scx_gamer {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitKernelEjected = 70; // the kernel unloaded the scheduler (EX_SOFTWARE)

} // namespace scx_gamer
