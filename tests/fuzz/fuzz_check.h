// SPDX-License-Identifier: GPL-2.0-only
// Shared by the fuzz targets. An invariant that does not hold aborts: libFuzzer then reports a
// crash and saves the input that caused it, which is the point of checking invariants at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer::fuzz {

// `detail` is printed too, e.g. the text that broke the invariant.
inline void require(bool holds, std::string_view invariant, std::string_view detail = {},
                    std::source_location where = std::source_location::current()) {
    if (holds)
        return;
    std::fprintf(stderr, "%s:%u: invariant violated: %.*s\n", where.file_name(), where.line(),
                 static_cast<int>(invariant.size()), invariant.data());
    if (!detail.empty())
        std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// "a\0b\0c" -> {"a", "b", "c"}; an empty input is no item, a trailing separator ends the last.
inline std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> items;
    while (!text.empty()) {
        const auto end = text.find(separator);
        items.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return items;
}

inline bool is_one_line(std::string_view message) {
    return message.find_first_of("\r\n") == std::string_view::npos;
}

} // namespace scx_gamer::fuzz
