// SPDX-License-Identifier: GPL-2.0-only
// The detector's ring-buffer records (bpf/intf.h) as the daemon uses them. The kernel writes
// them, but an exec record's strings are whatever the new process was given: sizes are checked
// against the record, and strings are split as /proc content is.
#pragma once

#include "bpf/intf.h"
#include "games/proc_reader.h"

#include <cstddef>
#include <optional>
#include <span>

namespace scx_gamer {

struct DetectorRecord {
    gamer_event event{};
    // GAMER_EV_EXEC records: the new image's arguments and environment, as exec copied them.
    std::optional<ExecStrings> exec;
};

// The record in data, or nullopt when it is not one: too short for its kind, or an exec record
// whose strings overrun it.
std::optional<DetectorRecord> decode_detector_record(std::span<const std::byte> data);

} // namespace scx_gamer
