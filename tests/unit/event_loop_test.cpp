// SPDX-License-Identifier: GPL-2.0-only
// The event loop's barrier: a callback that throws is logged and the loop keeps serving.
#include "service/event_loop.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <unistd.h>

namespace scx_gamer {
namespace {

TEST(EventLoop, ACallbackThatThrowsDoesNotEndTheLoop) {
    EventLoop loop;
    int throwing_runs = 0;
    EventSource throwing = loop.timer("a failing timer", [&] {
        ++throwing_runs;
        throw std::runtime_error("a hostile process name");
    });
    EventSource stop = loop.timer("stop", [&] { loop.exit(7); });
    throwing.arm(std::chrono::microseconds(0));
    stop.arm(std::chrono::milliseconds(20));
    testing::internal::CaptureStderr();
    const int code = loop.run();
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 7);
    EXPECT_EQ(throwing_runs, 1);
    EXPECT_NE(log.find("<3>a failing timer failed (carrying on): a hostile process name"),
              std::string::npos)
        << log;
}

TEST(EventLoop, ASourceStaysEnabledAfterItsCallbackThrew) {
    EventLoop loop;
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    int reads = 0;
    EventSource readable = loop.watch_readable("a client", pipe_fds[0], [&] {
        char byte = 0;
        ASSERT_EQ(read(pipe_fds[0], &byte, 1), 1);
        if (++reads == 2)
            loop.exit(0);
        throw std::logic_error("bad request");
    });
    ASSERT_EQ(write(pipe_fds[1], "ab", 2), 2);
    testing::internal::CaptureStderr();
    EXPECT_EQ(loop.run(), 0);
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(reads, 2);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

} // namespace
} // namespace scx_gamer
