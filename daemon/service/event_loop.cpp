// SPDX-License-Identifier: GPL-2.0-only
#include "event_loop.h"

#include "util/error.h"
#include "util/guard.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace scx_gamer {

namespace {

void check(int rc, const char* what) {
    if (rc < 0)
        throw Error(std::string(what) + ": " + std::strerror(-rc));
}

} // namespace

// Trampolines from sd-event's C callbacks to the source's std::function.
struct EventLoop::Trampolines {
    static int io(sd_event_source*, int, uint32_t, void* userdata) { return run(userdata); }
    static int signal(sd_event_source*, const signalfd_siginfo*, void* userdata) {
        return run(userdata);
    }
    static int timer(sd_event_source* source, uint64_t, void* userdata) {
        const auto* callback = static_cast<EventSource::Callback*>(userdata);
        // Time sources fire once; re-arm before running so a slow tick cannot drift the period.
        if (callback->period_usec > 0) {
            sd_event_source_set_time_relative(source, callback->period_usec);
            sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        }
        return run(userdata);
    }
    static int inotify(sd_event_source*, const inotify_event* event, void* userdata) {
        const auto* callback = static_cast<EventSource::Callback*>(userdata);
        run_guarded(callback->name, [&] { callback->on_inotify(*event); });
        return 0;
    }
    // 0 whatever happened: a negative return would make sd-event disable the source for good.
    static int run(void* userdata) {
        const auto* callback = static_cast<EventSource::Callback*>(userdata);
        run_guarded(callback->name, callback->fn);
        return 0;
    }
};

EventLoop::EventLoop() {
    sd_event* event = nullptr;
    check(sd_event_new(&event), "creating the event loop");
    event_.reset(event);
}

EventSource EventLoop::watch_readable(std::string name, int fd, std::function<void()> on_ready) {
    EventSource source;
    source.callback_ =
        std::make_unique<EventSource::Callback>(std::move(name), std::move(on_ready));
    sd_event_source* raw = nullptr;
    check(sd_event_add_io(event_.get(), &raw, fd, EPOLLIN, Trampolines::io, source.callback_.get()),
          "watching a file descriptor");
    source.source_.reset(raw);
    return source;
}

EventSource EventLoop::on_signal(std::string name, int signal, std::function<void()> handler) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, signal);
    // sd-event requires the signal blocked so that it arrives through its signalfd only.
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
        check(-errno, "blocking a signal");
    EventSource source;
    source.callback_ = std::make_unique<EventSource::Callback>(std::move(name), std::move(handler));
    sd_event_source* raw = nullptr;
    check(sd_event_add_signal(event_.get(), &raw, signal, Trampolines::signal,
                              source.callback_.get()),
          "handling a signal");
    source.source_.reset(raw);
    return source;
}

EventSource EventLoop::watch_inotify(std::string name, const std::filesystem::path& path,
                                     uint32_t mask,
                                     std::function<void(const inotify_event&)> on_event) {
    EventSource source;
    source.callback_ = std::make_unique<EventSource::Callback>();
    source.callback_->name = std::move(name);
    source.callback_->on_inotify = std::move(on_event);
    sd_event_source* raw = nullptr;
    check(sd_event_add_inotify(event_.get(), &raw, path.c_str(), mask, Trampolines::inotify,
                               source.callback_.get()),
          ("watching " + path.string()).c_str());
    source.source_.reset(raw);
    return source;
}

EventSource EventLoop::every(std::string name, std::chrono::microseconds period,
                             std::function<void()> tick) {
    EventSource source;
    const auto usec = static_cast<uint64_t>(period.count());
    source.callback_ =
        std::make_unique<EventSource::Callback>(std::move(name), std::move(tick), usec);
    sd_event_source* raw = nullptr;
    check(sd_event_add_time_relative(event_.get(), &raw, CLOCK_MONOTONIC, usec, 0,
                                     Trampolines::timer, source.callback_.get()),
          "adding a timer");
    source.source_.reset(raw);
    return source;
}

EventSource EventLoop::timer(std::string name, std::function<void()> fire) {
    EventSource source;
    source.callback_ = std::make_unique<EventSource::Callback>(std::move(name), std::move(fire));
    sd_event_source* raw = nullptr;
    constexpr uint64_t kAccuracyUsec = 1;
    check(sd_event_add_time_relative(event_.get(), &raw, CLOCK_MONOTONIC, 0, kAccuracyUsec,
                                     Trampolines::timer, source.callback_.get()),
          "adding a timer");
    source.source_.reset(raw);
    sd_event_source_set_enabled(raw, SD_EVENT_OFF);
    return source;
}

int EventLoop::run() {
    // A no-op unless systemd set WATCHDOG_USEC: then the loop pings it every half period, so a
    // loop stuck in one callback gets the unit restarted.
    check(sd_event_set_watchdog(event_.get(), 1), "enabling the systemd watchdog");
    const int rc = sd_event_loop(event_.get());
    check(rc, "running the event loop");
    return rc;
}

void EventLoop::exit(int code) {
    sd_event_exit(event_.get(), code);
}

} // namespace scx_gamer
