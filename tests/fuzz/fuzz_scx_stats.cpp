// SPDX-License-Identifier: GPL-2.0-only
// The scx_stats socket's request parser: the input is one request line as a client (any local
// user, or scxtop) sends it. The stats it is answered with carry the same bytes as the game
// name, as a hostile game's comm or .exe name would.
//
// Invariants:
//   - every answer is one line of valid JSON: {"errno": 0 or 22, "args": {"resp": ...}};
//   - errno 0 exactly for {"req":"stats_meta"} and for {"req":"stats"} with target "top" (or
//     none); an error's resp is a string saying why;
//   - the stats are read (the callback runs) only for a valid "stats" request, and then the
//     answer carries them.
#include "fuzz_check.h"
#include "stats/scx_stats_protocol.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <string>

using namespace scx_gamer;
using fuzz::require;
using nlohmann::json;

namespace {

// What the request asks for, decided independently of the code under test.
enum class Expect { Meta, Stats, Error };

Expect expected_answer(std::string_view line) {
    if (line.size() > kMaxScxStatsRequest)
        return Expect::Error;
    const json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!request.is_object() || !request.contains("req") || !request["req"].is_string())
        return Expect::Error;
    const auto& req = request["req"].get_ref<const std::string&>();
    if (req == "stats_meta")
        return Expect::Meta;
    if (req != "stats")
        return Expect::Error;
    if (!request.contains("args"))
        return Expect::Stats;
    const json& args = request["args"];
    if (!args.is_object())
        return Expect::Error;
    if (!args.contains("target"))
        return Expect::Stats;
    return args["target"] == "top" ? Expect::Stats : Expect::Error;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = fuzz::as_text(data, size);
    const std::string hostile(line.substr(0, 64));
    int calls = 0;
    const std::string answer = answer_scx_stats_request(line, [&] {
        ++calls;
        return StatsMap{{"game_name", hostile}, {"nr_kicks", std::uint64_t{7}}};
    });

    require(answer.find('\n') == std::string::npos, "an answer is one line");
    const json reply = json::parse(answer, nullptr, /*allow_exceptions=*/false);
    require(reply.is_object() && reply.size() == 2, "an answer is a JSON object of two keys");
    require(reply.contains("errno") && reply["errno"].is_number_integer(), "it has an errno");
    require(reply.contains("args") && reply["args"].is_object() && reply["args"].contains("resp"),
            "it has args.resp");
    const int errnum = reply["errno"].get<int>();
    const json& resp = reply["args"]["resp"];

    switch (expected_answer(line)) {
    case Expect::Meta:
        require(errnum == 0 && resp.contains(std::string(kScxStatsStructName)),
                "stats_meta gets the metadata");
        require(calls == 0, "stats_meta does not read the stats");
        break;
    case Expect::Stats:
        require(errnum == 0 && calls == 1, "a stats request reads the stats once");
        require(resp.is_object() && resp.contains("game_name") && resp["nr_kicks"] == 7,
                "the answer carries the stats");
        break;
    case Expect::Error:
        require(errnum == EINVAL, "a bad request gets EINVAL");
        require(resp.is_string() && !resp.get_ref<const std::string&>().empty(),
                "an error says why");
        require(calls == 0, "a bad request does not read the stats");
        break;
    }
    return 0;
}
