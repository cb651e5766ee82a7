// SPDX-License-Identifier: GPL-2.0-only
// The scx_stats wire protocol: requests answered, bad ones refused with errno 22.
#include "stats/scx_stats_protocol.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace scx_gamer {
namespace {

using nlohmann::json;

StatsMap sample() {
    return {{"profile", std::string("gaming")}, {"nr_kicks", uint64_t{42}}};
}

json ask(std::string_view line) {
    return json::parse(answer_scx_stats_request(line, [] { return sample(); }));
}

TEST(ScxStatsProtocol, MetaDescribesEveryFieldUnderATopStruct) {
    const json reply = ask(R"({"req":"stats_meta","args":{}})");
    ASSERT_EQ(reply["errno"], 0);
    const json& meta = reply["args"]["resp"]["scx_gamer"];
    EXPECT_EQ(meta["top"], "true");
    EXPECT_EQ(meta["fields"]["nr_kicks"]["datum"], "u64");
    EXPECT_EQ(meta["fields"]["profile"]["datum"], "string");
    EXPECT_EQ(meta["fields"].size(), stat_fields().size());
}

TEST(ScxStatsProtocol, StatsTopIsTheDefaultTarget) {
    for (const char* line : {R"({"req":"stats","args":{"target":"top"}})", R"({"req":"stats"})",
                             R"({"req":"stats","args":{}})"}) {
        const json reply = ask(line);
        ASSERT_EQ(reply["errno"], 0) << line;
        EXPECT_EQ(reply["args"]["resp"]["profile"], "gaming");
        EXPECT_EQ(reply["args"]["resp"]["nr_kicks"], 42);
    }
}

TEST(ScxStatsProtocol, BadRequestsGetEinval) {
    for (const char* line :
         {"", "not json", "[]", "42", R"({"args":{}})", R"({"req":7})", R"({"req":"reboot"})",
          R"({"req":"stats","args":{"target":"nope"}})", R"({"req":"stats","args":[1]})",
          R"({"req":"stats","args":{"target":5}})", "{\"req\":\"st\xff\xfe\"}"}) {
        const json reply = ask(line);
        EXPECT_EQ(reply["errno"], 22) << line;
        EXPECT_TRUE(reply["args"]["resp"].is_string()) << line;
    }
}

TEST(ScxStatsProtocol, OverlongRequestIsRefusedWithoutParsing) {
    const std::string line(kMaxScxStatsRequest + 1, ' ');
    EXPECT_EQ(ask(line)["errno"], 22);
}

TEST(ScxStatsProtocol, HostileGameNamesStillSerialise) {
    const std::string reply = answer_scx_stats_request(R"({"req":"stats"})", [] {
        return StatsMap{{"game_name", std::string("bad\xff\nname")}};
    });
    EXPECT_EQ(json::parse(reply)["errno"], 0);
    EXPECT_EQ(reply.find('\n'), std::string::npos); // one line on the wire
}

} // namespace
} // namespace scx_gamer
