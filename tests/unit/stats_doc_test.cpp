// SPDX-License-Identifier: GPL-2.0-only
// The statistics are listed once (daemon/stats/stats_fields.cpp, with the scheduler's counters from
// bpf/intf.h's GAMER_STATS); the D-Bus interface's documentation of GetStats must name exactly
// those keys, with the types the daemon sends them as.
#include "bpf/intf.h"
#include "stats/stats_fields.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace scx_gamer {
namespace {

const std::string kInterfaceXml =
    std::string(SCX_GAMER_SOURCE_DIR) + "/dbus/org.cachyos.ScxGamer.xml";

// The comment that documents GetStats: from "GetStats:" to the end of that comment.
std::string get_stats_comment() {
    std::ifstream in(kInterfaceXml);
    EXPECT_TRUE(in) << kInterfaceXml << " not found";
    std::stringstream text;
    text << in.rdbuf();
    const std::string xml = text.str();
    const auto begin = xml.find("GetStats:");
    const auto end = xml.find("-->", begin);
    EXPECT_NE(begin, std::string::npos);
    EXPECT_NE(end, std::string::npos);
    return begin == std::string::npos || end == std::string::npos ? ""
                                                                  : xml.substr(begin, end - begin);
}

char dbus_type(StatKind kind) {
    switch (kind) {
    case StatKind::U64:
        return 't';
    case StatKind::U32:
        return 'u';
    case StatKind::Float:
        return 'd';
    case StatKind::String:
        return 's';
    }
    return '?';
}

TEST(StatsDoc, TheInterfaceDocumentsExactlyTheKeysTheDaemonReports) {
    std::map<std::string, char> documented;
    const std::string comment = get_stats_comment();
    const std::regex key_with_type(R"(\b([a-z][a-z0-9_]*) \(([a-z])\))");
    for (auto it = std::sregex_iterator(comment.begin(), comment.end(), key_with_type);
         it != std::sregex_iterator(); ++it)
        EXPECT_TRUE(documented.emplace((*it)[1].str(), (*it)[2].str()[0]).second)
            << (*it)[1] << " documented twice";

    std::map<std::string, char> reported;
    for (const StatField& field : stat_fields())
        reported.emplace(std::string(field.name), dbus_type(field.kind));
    EXPECT_EQ(documented, reported);
}

TEST(StatsDoc, EverySchedulerCounterIsReportedOnceAndDescribed) {
    ASSERT_EQ(scheduler_counters().size(), static_cast<size_t>(GAMER_NR_STATS));
    for (unsigned i = 0; i < scheduler_counters().size(); ++i) {
        const SchedulerCounter& counter = scheduler_counters()[i];
        EXPECT_EQ(counter.index, i) << counter.name;
        size_t fields = 0;
        for (const StatField& field : stat_fields())
            if (field.name == counter.name) {
                ++fields;
                EXPECT_EQ(field.kind, StatKind::U64) << field.name;
                EXPECT_FALSE(field.desc.empty()) << field.name;
            }
        EXPECT_EQ(fields, 1u) << counter.name;
    }
}

} // namespace
} // namespace scx_gamer
