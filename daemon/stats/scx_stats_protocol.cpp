// SPDX-License-Identifier: GPL-2.0-only
#include "stats/scx_stats_protocol.h"

#include <cerrno>
#include <nlohmann/json.hpp>

namespace scx_gamer {

namespace {

using nlohmann::json;

json meta() {
    json fields = json::object();
    for (const StatField& field : stat_fields())
        fields[std::string(field.name)] = {{"datum", std::string(scx_stats_kind(field.kind))},
                                           {"desc", std::string(field.desc)}};
    const std::string name(kScxStatsStructName);
    return {{name,
             {{"name", name},
              {"desc", "scx_gamer scheduler and game detection statistics"},
              {"top", "true"},
              {"fields", fields}}}};
}

json values(const StatsMap& stats) {
    json out = json::object();
    for (const StatField& field : stat_fields()) {
        auto it = stats.find(std::string(field.name));
        if (it == stats.end())
            continue;
        std::visit([&](const auto& value) { out[std::string(field.name)] = value; }, it->second);
    }
    return out;
}

std::string reply(int errnum, const json& resp) {
    // Replace invalid UTF-8 from hostile game names instead of throwing while serialising.
    return json{{"errno", errnum}, {"args", {{"resp", resp}}}}.dump(-1, ' ', false,
                                                                    json::error_handler_t::replace);
}

// The request's target: "top" when absent, as scx_stats does.
std::string target_of(const json& request) {
    if (!request.contains("args"))
        return "top";
    const json& args = request["args"];
    if (!args.is_object())
        throw std::invalid_argument("\"args\" must be an object of strings");
    auto it = args.find("target");
    if (it == args.end())
        return "top";
    if (!it->is_string())
        throw std::invalid_argument("\"target\" must be a string");
    return it->get<std::string>();
}

} // namespace

std::string scx_stats_meta_json() {
    return meta().dump();
}

std::string scx_stats_json(const StatsMap& stats) {
    return values(stats).dump();
}

std::string scx_stats_error(int errnum, std::string_view message) {
    return reply(errnum, std::string(message));
}

std::string answer_scx_stats_request(std::string_view line,
                                     const std::function<StatsMap()>& current_stats) {
    if (line.size() > kMaxScxStatsRequest)
        return scx_stats_error(EINVAL, "request too long");
    const json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object())
        return scx_stats_error(EINVAL, "request is not a JSON object");
    auto req = request.find("req");
    if (req == request.end() || !req->is_string())
        return scx_stats_error(EINVAL, "missing \"req\"");
    try {
        const std::string kind = req->get<std::string>();
        if (kind == "stats_meta")
            return reply(0, meta());
        if (kind != "stats")
            return scx_stats_error(EINVAL, "unknown request \"" + kind + "\"");
        const std::string target = target_of(request);
        if (target != "top")
            return scx_stats_error(EINVAL, "unknown target \"" + target + "\"");
        return reply(0, values(current_stats()));
    } catch (const std::invalid_argument& e) {
        return scx_stats_error(EINVAL, e.what());
    }
}

} // namespace scx_gamer
