// SPDX-License-Identifier: GPL-2.0-only
// The real SchedulerLoader: SchedulerBpf loaded, attached and its exit ring buffer watched on the
// event loop.
#pragma once

#include "event_loop.h"
#include "service/scheduler_supervisor.h"

namespace scx_gamer {

SchedulerLoader bpf_scheduler_loader(EventLoop& loop);

} // namespace scx_gamer
