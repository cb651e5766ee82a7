// SPDX-License-Identifier: GPL-2.0-only
// A thin RAII layer over sd-event: the daemon's one event loop. Every source owns its callback
// and is released exactly once; nothing here polls — sources fire on fds, signals and timers.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <sys/inotify.h>
#include <systemd/sd-event.h>

namespace scx_gamer {

class EventSource {
  public:
    EventSource() = default;
    EventSource(EventSource&&) noexcept = default;
    EventSource& operator=(EventSource&&) noexcept = default;
    ~EventSource() = default;

    explicit operator bool() const { return source_ != nullptr; }
    // One-shot timers (EventLoop::timer): fire once, `delay` from now. Re-arming moves it.
    void arm(std::chrono::microseconds delay) {
        if (!source_)
            return;
        sd_event_source_set_time_relative(source_.get(), static_cast<uint64_t>(delay.count()));
        sd_event_source_set_enabled(source_.get(), SD_EVENT_ONESHOT);
    }
    // Stops the source from firing; safe inside its own callback (unlike destroying it).
    void disable() {
        if (source_)
            sd_event_source_set_enabled(source_.get(), SD_EVENT_OFF);
    }

    // What sd-event calls back into; owned by the source.
    struct Callback {
        std::string name; // what the source is for, in the log line when its callback fails
        std::function<void()> fn;
        uint64_t period_usec = 0; // repeating timers: re-armed this far ahead after each tick
        std::function<void(const inotify_event&)> on_inotify; // inotify sources only
    };

  private:
    friend class EventLoop;
    struct Unref {
        void operator()(sd_event_source* source) const { sd_event_source_disable_unref(source); }
    };
    // The callback must outlive the source, so it is declared first (destroyed last).
    std::unique_ptr<Callback> callback_;
    std::unique_ptr<sd_event_source, Unref> source_;
};

// Every callback runs behind run_guarded() (util/guard.h): an exception is logged with the
// source's name and the loop goes on. Sources are named for that log line ("detector events").
class EventLoop {
  public:
    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    sd_event* get() const { return event_.get(); }

    // Calls `on_ready` whenever fd becomes readable.
    EventSource watch_readable(std::string name, int fd, std::function<void()> on_ready);
    // Handles `signal` in the loop (the signal is blocked for normal delivery).
    EventSource on_signal(std::string name, int signal, std::function<void()> handler);
    // A one-shot timer, disarmed until EventSource::arm(). It fires on time (1 µs accuracy):
    // sd-event's default accuracy would let it slip by up to 250 ms to coalesce wake-ups, and
    // the exec re-read that detection waits on needs it on time.
    EventSource timer(std::string name, std::function<void()> fire);
    // Calls `on_event` for each inotify event (IN_* `mask`) on `path`, a file or a directory.
    // Throws Error when path cannot be watched (it does not exist, ...).
    EventSource watch_inotify(std::string name, const std::filesystem::path& path, uint32_t mask,
                              std::function<void(const inotify_event&)> on_event);
    // Calls `tick` every `period` (CLOCK_MONOTONIC) until the source is dropped. These tick with
    // sd-event's default accuracy (250 ms), so their wake-ups coalesce with other timers'.
    EventSource every(std::string name, std::chrono::microseconds period,
                      std::function<void()> tick);

    // Runs until exit(); pings systemd's watchdog (WatchdogSec=) while the loop turns, when the
    // unit asks for it.
    int run();
    void exit(int code);

  private:
    struct Trampolines;
    struct Unref {
        void operator()(sd_event* event) const { sd_event_unref(event); }
    };
    std::unique_ptr<sd_event, Unref> event_;
};

} // namespace scx_gamer
