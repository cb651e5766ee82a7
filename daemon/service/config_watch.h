// SPDX-License-Identifier: GPL-2.0-only
// Tells the daemon when its configuration files changed: inotify on the directories that hold
// them (config_watch_plan), so files and directories that do not exist yet are covered too.
// Events are debounced: an editor's save is several events (write a temporary file, rename it
// over the old one), and the daemon should read the file once, after the last.
#pragma once

#include "config/config_reload.h"
#include "service/event_loop.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <vector>

namespace scx_gamer {

class ConfigWatch {
  public:
    static constexpr std::chrono::milliseconds kDefaultDebounce{200};

    // Calls `changed` from `loop` once no relevant event has come for `debounce` after one did.
    // Directories that cannot be watched are logged and skipped. `loop` must outlive the watch.
    ConfigWatch(EventLoop& loop, std::vector<std::filesystem::path> files,
                std::function<void()> changed,
                std::chrono::milliseconds debounce = kDefaultDebounce);

    ConfigWatch(const ConfigWatch&) = delete;
    ConfigWatch& operator=(const ConfigWatch&) = delete;

    // The directories watched now.
    const WatchPlan& plan() const { return plan_; }

  private:
    void refresh(); // follows directories that appeared or went since the last plan
    void on_event(const std::filesystem::path& dir, const inotify_event& event);
    void settled();

    EventLoop& loop_;
    std::vector<std::filesystem::path> files_;
    std::function<void()> changed_;
    std::chrono::milliseconds debounce_;
    WatchPlan plan_;
    std::vector<EventSource> watches_;
    EventSource debounce_timer_;
};

} // namespace scx_gamer
