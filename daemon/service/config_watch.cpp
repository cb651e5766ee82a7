// SPDX-License-Identifier: GPL-2.0-only
#include "service/config_watch.h"

#include "util/log.h"

#include <utility>

namespace scx_gamer {

namespace {

// Whatever can make a watched file appear, change, be replaced or vanish: editors write in place
// (IN_CLOSE_WRITE) or rename a new file over the old one (IN_MOVED_TO); IN_CREATE also covers a
// directory on the way being created. The *_SELF events tell that the directory itself went.
constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

} // namespace

ConfigWatch::ConfigWatch(EventLoop& loop, std::vector<std::filesystem::path> files,
                         std::function<void()> changed, std::chrono::milliseconds debounce)
    : loop_(loop), files_(std::move(files)), changed_(std::move(changed)), debounce_(debounce),
      debounce_timer_(loop.timer("configuration reload", [this] { settled(); })) {
    refresh();
}

void ConfigWatch::refresh() {
    // Rebuilt every time, not only when the plan differs: a directory removed and created again
    // has the same path but a new inode, which the old watch does not follow. Never called from
    // an inotify callback (only from the constructor and the timer), so dropping the old sources
    // here is safe.
    watches_.clear();
    plan_ = config_watch_plan(files_);
    for (const auto& [dir, names] : plan_) {
        try {
            watches_.push_back(loop_.watch_inotify(
                "configuration watch on " + dir.string(), dir, kWatchMask,
                [this, dir](const inotify_event& event) { on_event(dir, event); }));
            log_debug("watching ", dir.string(), " for configuration changes");
        } catch (const std::exception& e) {
            log_warning("configuration changes in ", dir.string(),
                        " are not seen until SIGHUP: ", e.what());
        }
    }
}

void ConfigWatch::on_event(const std::filesystem::path& dir, const inotify_event& event) {
    if (event.mask & IN_Q_OVERFLOW) {
        debounce_timer_.arm(debounce_); // events were lost: reload to be safe
        return;
    }
    // Events without a name are about the directory itself (gone, moved): always relevant.
    if (event.len > 0) {
        auto it = plan_.find(dir);
        if (it == plan_.end() || it->second.count(event.name) == 0)
            return; // another file in /etc
    }
    debounce_timer_.arm(debounce_); // re-arming moves the deadline: the last event counts
}

void ConfigWatch::settled() {
    refresh();
    try {
        changed_();
    } catch (const std::exception& e) { // must not unwind through sd-event
        log_err("reloading the configuration: ", e.what());
    }
}

} // namespace scx_gamer
