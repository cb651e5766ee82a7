// SPDX-License-Identifier: GPL-2.0-only
// The barrier between one event and the rest of the daemon. Every way a local user reaches the
// root daemon (an exec, a bus call, a file edit, a stats client) arrives as an event callback;
// whatever fails inside one is logged with what was being done and the daemon carries on. Only
// deliberate exits end it (a signal, the kernel unloading the scheduler, a failed start).
#pragma once

#include <functional>
#include <string_view>

namespace scx_gamer {

// Runs fn. An exception it throws is logged at error level as "<context>: <what()>" and goes no
// further; returns whether fn returned normally.
bool run_guarded(std::string_view context, const std::function<void()>& fn) noexcept;

} // namespace scx_gamer
