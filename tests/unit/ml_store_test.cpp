// SPDX-License-Identifier: GPL-2.0-only
// The learner's files: JSON-lines windows (round trip, corrupt and torn lines, schema version,
// rotation) and learned profiles in TOML (round trip, validation, save/list/delete).
#include "ml/game_key.h"
#include "ml/learned_profile.h"
#include "ml/sample_store.h"

#include "util/error.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace scx_gamer::ml {
namespace {

namespace fs = std::filesystem;

using scx_gamer::testing::TempDir;

SampleRecord sample(unsigned i) {
    SampleRecord r;
    r.time = "2026-11-26T19:00:0" + std::to_string(i % 10) + "Z";
    r.key = "steam-620";
    r.game = "portal2 \"quoted\" \xc3\xa9";
    r.tunables.set("slice-us", std::to_string(2000 + i));
    r.tunables.set("mm-affinity", i % 2 ? "true" : "false");
    r.base = i % 2 == 0;
    r.role = "candidate";
    r.metrics.window_s = 5.012;
    r.metrics.wakeups = 12345 + i;
    r.metrics.p50_us = 12.25;
    r.metrics.p99_us = 401.0 / 3;
    r.metrics.p999_us = 999.5;
    r.metrics.miss_fraction = 0.0123;
    r.metrics.migrations = 7;
    r.metrics.preempt_kicks = 8;
    r.metrics.bg_starve_guard = 9;
    r.metrics.game_enqueued = 10;
    r.metrics.bg_enqueued = 11;
    r.metrics.game_cpu = 0.75;
    r.metrics.bg_cpu = 1.3333333333;
    r.metrics.cpus = 4;
    return r;
}

void append_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
}

TEST(MlGameKey, SteamAppIdElseTheExecutable) {
    EXPECT_EQ(game_key(1091500, "/games/cp/Cyberpunk2077.exe", "Cyberpunk2077.exe"),
              "steam-1091500");
    EXPECT_EQ(game_key(std::nullopt, "/usr/games/supertux2", "supertux2"), "supertux2");
    EXPECT_EQ(game_key(std::nullopt, "", "My Game!"), "My_Game_");
    EXPECT_EQ(game_key(std::nullopt, "/x/.hidden", ""), "_hidden");
    EXPECT_EQ(game_key(std::nullopt, "", ""), "unknown");
    EXPECT_TRUE(is_valid_key("steam-620"));
    EXPECT_FALSE(is_valid_key("../etc/passwd"));
    EXPECT_FALSE(is_valid_key(".hidden"));
    EXPECT_FALSE(is_valid_key(""));
    EXPECT_FALSE(is_valid_key(std::string(65, 'a')));
}

TEST(MlSampleStore, JsonLineRoundTrip) {
    const SampleRecord record = sample(3);
    const std::string line = to_json_line(record);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_TRUE(line.starts_with("{\"v\":1,"));
    EXPECT_EQ(from_json_line(line), record);
}

TEST(MlSampleStore, RejectsOtherSchemasAndBrokenLines) {
    std::string line = to_json_line(sample(1));
    std::string v2 = line;
    v2.replace(0, 6, "{\"v\":2");
    EXPECT_THROW(from_json_line(v2), Error);
    EXPECT_THROW(from_json_line(line.substr(0, line.size() / 2)), Error);
    EXPECT_THROW(from_json_line("[1,2]"), Error);
    std::string bad_flag = line;
    bad_flag.replace(bad_flag.find("\"slice-us\":2001"), 15, "\"slice-us\":5");
    EXPECT_THROW(from_json_line(bad_flag), Error); // out of the flag's range
}

TEST(MlSampleStore, AppendsAndReadsBackSkippingCorruptLines) {
    TempDir dir;
    {
        SampleWriter writer(dir.path(), "steam-620");
        writer.append(sample(0));
        writer.append(sample(1));
    }
    const fs::path file = samples_path(dir.path(), "steam-620");
    append_text(file, "this is not json\n");
    std::string future = to_json_line(sample(9));
    future.replace(0, 6, "{\"v\":9");
    append_text(file, future + "\n");
    {
        SampleWriter writer(dir.path(), "steam-620");
        writer.append(sample(2));
    }
    const SampleLoad load = read_samples(dir.path(), "steam-620");
    ASSERT_EQ(load.records.size(), 3u);
    EXPECT_EQ(load.records[0], sample(0));
    EXPECT_EQ(load.records[2], sample(2));
    ASSERT_EQ(load.warnings.size(), 2u);
    EXPECT_NE(load.warnings[0].find("steam-620.jsonl:3: skipped"), std::string::npos)
        << load.warnings[0];
    EXPECT_NE(load.warnings[1].find("schema version 9"), std::string::npos) << load.warnings[1];
    EXPECT_EQ(sample_keys(dir.path()), std::vector<std::string>{"steam-620"});
}

TEST(MlSampleStore, ATornLastLineDoesNotSpoilTheNextOne) {
    TempDir dir;
    {
        SampleWriter writer(dir.path(), "game");
        writer.append(sample(0));
    }
    const std::string line = to_json_line(sample(1));
    append_text(samples_path(dir.path(), "game"), line.substr(0, 40)); // a crash mid-append
    {
        SampleWriter writer(dir.path(), "game");
        writer.append(sample(2));
    }
    const SampleLoad load = read_samples(dir.path(), "game");
    ASSERT_EQ(load.records.size(), 2u);
    EXPECT_EQ(load.records[1], sample(2));
    EXPECT_EQ(load.warnings.size(), 1u);
}

TEST(MlSampleStore, RotatesToStayWithinItsBound) {
    TempDir dir;
    const std::size_t line_size = to_json_line(sample(0)).size() + 1;
    const StoreLimits limits{.max_bytes = 10 * line_size, .sync_every = 3};
    {
        SampleWriter writer(dir.path(), "game", limits);
        for (unsigned i = 0; i < 35; i++)
            writer.append(sample(i % 10));
    }
    const fs::path current = samples_path(dir.path(), "game");
    fs::path rotated = current;
    rotated += ".1";
    ASSERT_TRUE(fs::exists(rotated));
    EXPECT_LE(fs::file_size(current), limits.max_bytes);
    EXPECT_LE(fs::file_size(rotated), limits.max_bytes);
    EXPECT_FALSE(fs::exists(current.string() + ".2"));
    // The newest windows survive, oldest first: 35 = 3 full files of 10 and 5.
    const SampleLoad load = read_samples(dir.path(), "game");
    EXPECT_TRUE(load.warnings.empty());
    ASSERT_EQ(load.records.size(), 15u);
    EXPECT_EQ(load.records.front(), sample(0));
    EXPECT_EQ(load.records.back(), sample(4));
}

LearnedProfile profile() {
    LearnedProfile p;
    p.key = "steam-620";
    p.game = "Portal 2 \"quoted\"";
    p.tunables.set("slice-us", "4000");
    p.tunables.set("mm-affinity", "true");
    p.tunables.set("wakeup-timer-us", "0");
    p.source = "autotune";
    p.date = "2026-11-26T19:00:05Z";
    p.objective_before = 812.5;
    p.objective_after = 420.1;
    p.trials = 14;
    p.windows = 120;
    p.before.set("slice-us", "2000");
    p.before.set("mm-affinity", "false");
    return p;
}

TEST(MlLearnedProfile, TomlRoundTrip) {
    const std::string text = format_learned_profile(profile());
    EXPECT_NE(text.find("slice-us = 4000"), std::string::npos) << text;
    EXPECT_NE(text.find("mm-affinity = true"), std::string::npos) << text;
    EXPECT_NE(text.find("objective_before_us = 812.5"), std::string::npos) << text;
    EXPECT_EQ(parse_learned_profile(text, "p.toml"), profile());
}

TEST(MlLearnedProfile, RejectsWhatCannotBeApplied) {
    const std::string good = format_learned_profile(profile());
    auto with = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        text.replace(text.find(from), from.size(), to);
        return text;
    };
    EXPECT_THROW(parse_learned_profile(with("slice-us = 4000", "slice-us = 1"), "p.toml"), Error);
    EXPECT_THROW(
        parse_learned_profile(with("slice-us = 4000", "primary-domain = \"0-3\""), "p.toml"),
        Error); // not live
    EXPECT_THROW(parse_learned_profile(with("schema = 1", "schema = 2"), "p.toml"), Error);
    EXPECT_THROW(parse_learned_profile(with("key = \"steam-620\"", "key = \"../x\""), "p.toml"),
                 Error);
    try {
        parse_learned_profile(with("slice-us = 4000", "slice-us = \"fast\""), "p.toml");
        FAIL() << "accepted a bad value";
    } catch (const Error& e) {
        EXPECT_TRUE(std::string(e.what()).starts_with("p.toml:")) << e.what();
    }
}

TEST(MlLearnedProfile, SaveListExportDelete) {
    TempDir dir;
    save_learned_profile(dir.path(), profile());
    LearnedProfile other = profile();
    other.key = "supertux2";
    save_learned_profile(dir.path(), other);
    append_text(learned_profile_path(dir.path(), "broken"), "schema = [");

    EXPECT_EQ(load_learned_profile(dir.path(), "steam-620"), profile());
    EXPECT_EQ(load_learned_profile(dir.path(), "nothing"), std::nullopt);
    EXPECT_EQ(read_learned_profile_text(dir.path(), "steam-620"),
              format_learned_profile(profile()));
    const LearnedList list = list_learned_profiles(dir.path());
    ASSERT_EQ(list.profiles.size(), 2u);
    EXPECT_EQ(list.profiles[0].key, "steam-620");
    EXPECT_EQ(list.profiles[1].key, "supertux2");
    ASSERT_EQ(list.warnings.size(), 1u);
    EXPECT_NE(list.warnings[0].find("broken.toml"), std::string::npos);

    EXPECT_TRUE(delete_learned_profile(dir.path(), "steam-620"));
    EXPECT_FALSE(delete_learned_profile(dir.path(), "steam-620"));
    EXPECT_FALSE(delete_learned_profile(dir.path(), "../profiles/supertux2"));
    EXPECT_EQ(load_learned_profile(dir.path(), "steam-620"), std::nullopt);
    EXPECT_TRUE(load_learned_profile(dir.path(), "supertux2"));
}

TEST(MlLearnedProfile, AFileUnderAnotherKeyIsRefused) {
    TempDir dir;
    save_learned_profile(dir.path(), profile());
    fs::rename(learned_profile_path(dir.path(), "steam-620"),
               learned_profile_path(dir.path(), "steam-440"));
    EXPECT_THROW(load_learned_profile(dir.path(), "steam-440"), Error);
}

} // namespace
} // namespace scx_gamer::ml
