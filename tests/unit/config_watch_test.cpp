// SPDX-License-Identifier: GPL-2.0-only
// ConfigWatch on the host: real inotify through the daemon's sd-event loop, on temporary files.
// A test steps the loop until the watch reports; a long guard only bounds a hang (it fails
// the test, it does not measure anything).
#include "service/config_watch.h"
#include "temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;
using testing::TempDir;

constexpr auto kGuard = std::chrono::seconds(30);
constexpr uint64_t kStepUsec = 100'000;
constexpr auto kDebounce = std::chrono::milliseconds(1);

// Runs `loop` until done() holds; false if it still does not after kGuard (a hang, not a
// measurement). The loop is stepped rather than run-and-exited: sd-event cannot run again once
// it has exited, and a test may wait more than once.
bool run_until(EventLoop& loop, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        if (sd_event_run(loop.get(), kStepUsec) < 0)
            return false;
    }
    return true;
}

class ConfigWatchTest : public ::testing::Test {
  protected:
    void start(std::vector<fs::path> files) {
        watch_ = std::make_unique<ConfigWatch>(
            loop_, std::move(files), [this] { ++reports_; }, kDebounce);
    }
    // Waits for the next report.
    bool reported() {
        const int before = seen_;
        const bool ok = run_until(loop_, [&] { return reports_ > before; });
        seen_ = reports_;
        return ok;
    }

    TempDir root_;
    EventLoop loop_;
    std::unique_ptr<ConfigWatch> watch_;
    int reports_ = 0;
    int seen_ = 0;
};

TEST_F(ConfigWatchTest, EditInPlaceIsReported) {
    const fs::path file = root_.write("etc/scx_loader.toml", "[scheds]\n");
    start({file});
    std::ofstream(file, std::ios::app) << "# edited\n";
    EXPECT_TRUE(reported());
    EXPECT_EQ(reports_, 1);
}

TEST_F(ConfigWatchTest, RenameOverTheFileIsReported) {
    // How editors and config install save: write a temporary file, rename it over the old one.
    const fs::path file = root_.write("etc/scx_loader.toml", "[scheds]\n");
    start({file});
    const fs::path temporary = root_.write("etc/.scx_loader.toml.tmp", "[scheds.scx_gamer]\n");
    fs::rename(temporary, file);
    EXPECT_TRUE(reported());
}

TEST_F(ConfigWatchTest, RemovalIsReported) {
    const fs::path file = root_.write("etc/scx_gamer/games.toml", "[include]\n");
    start({file});
    fs::remove(file);
    EXPECT_TRUE(reported());
}

TEST_F(ConfigWatchTest, FileInADirectoryThatDidNotExistIsFollowed) {
    fs::create_directories(root_.path() / "etc");
    const fs::path file = root_.path() / "etc/scx_loader/config.toml";
    start({file});
    EXPECT_THAT(watch_->plan(), Contains(Key(root_.path() / "etc")));

    fs::create_directories(file.parent_path());
    EXPECT_TRUE(reported());
    // After the report the new directory itself is watched.
    EXPECT_THAT(watch_->plan(), Contains(Key(file.parent_path())));
    EXPECT_THAT(watch_->plan(), Not(Contains(Key(root_.path() / "etc"))));

    root_.write("etc/scx_loader/config.toml", "[scheds]\n");
    EXPECT_TRUE(reported());
    EXPECT_EQ(reports_, 2);
}

TEST_F(ConfigWatchTest, SighupReachesTheLoopAsWell) {
    // The daemon reloads on SIGHUP through the same loop: the signal arrives as an event, not
    // as a handler that interrupts whatever runs.
    start({root_.path() / "absent.toml"});
    bool hangup = false;
    EventSource sighup = loop_.on_signal("SIGHUP", SIGHUP, [&] { hangup = true; });
    std::raise(SIGHUP);
    EXPECT_TRUE(run_until(loop_, [&] { return hangup; }));
    EXPECT_EQ(reports_, 0);
}

} // namespace
} // namespace scx_gamer
