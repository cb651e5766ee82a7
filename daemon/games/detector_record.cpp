// SPDX-License-Identifier: GPL-2.0-only
#include "games/detector_record.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>

namespace scx_gamer {

std::optional<DetectorRecord> decode_detector_record(std::span<const std::byte> data) {
    DetectorRecord record;
    if (data.size() < sizeof(record.event))
        return std::nullopt;
    std::memcpy(&record.event, data.data(), sizeof(record.event));
    if (record.event.kind != GAMER_EV_EXEC)
        return record;

    gamer_exec_event head;
    if (data.size() < sizeof(head))
        return std::nullopt;
    std::memcpy(&head, data.data(), sizeof(head));
    const auto strings = data.subspan(sizeof(head));
    if (head.strings_len > strings.size() || head.strings_len > head.strings_total)
        return std::nullopt;

    const std::string content(reinterpret_cast<const char*>(strings.data()), head.strings_len);
    const bool complete = head.strings_len == head.strings_total;
    auto items = split_nul_separated(content, !complete);
    ExecStrings exec;
    exec.complete = complete;
    const auto argc = std::min<std::size_t>(head.argc, items.size());
    exec.argv.assign(std::make_move_iterator(items.begin()),
                     std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(argc)));
    exec.environment.assign(
        std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(argc)),
        std::make_move_iterator(items.end()));
    record.exec = std::move(exec);
    return record;
}

} // namespace scx_gamer
