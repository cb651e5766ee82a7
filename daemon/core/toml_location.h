// "file:line:col: reason" texts from toml11 locations and errors. Include from .cpp files only:
// it pulls in toml.hpp, which the core library keeps out of its public headers.
#pragma once

#include <toml.hpp>

#include <string>

namespace scx_gamer::toml_text {

// "config.toml:3:9"
inline std::string where(const toml::source_location& location) {
    return location.file_name() + ":" + std::to_string(location.first_line_number()) + ":" +
           std::to_string(location.first_column_number());
}

// toml11 titles read "toml::parse_file: invalid table key"; the function name helps nobody.
inline std::string without_function_name(std::string title) {
    if (title.starts_with("toml::")) {
        const auto colon = title.find(": ");
        if (colon != std::string::npos)
            title.erase(0, colon + 2);
    }
    return title;
}

// "config.toml:2:3: invalid table key (expected ])"
inline std::string describe_error(const toml::error_info& error, const std::string& source_name) {
    std::string text = without_function_name(error.title());
    if (error.locations().empty())
        return source_name + ": " + text;
    const auto& [location, detail] = error.locations().front();
    if (!detail.empty())
        text += " (" + detail + ")";
    return where(location) + ": " + text;
}

} // namespace scx_gamer::toml_text
