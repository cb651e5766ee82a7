// SPDX-License-Identifier: GPL-2.0-only
#include "bus_presence.h"

#include "util/log.h"

namespace scx_gamer {

BusPresence::BusPresence(Timers& timers, std::string name, Connect connect,
                         std::function<void()> drop, Messages messages,
                         bool retry_after_first_failure)
    : connect_(std::move(connect)), drop_(std::move(drop)), messages_(std::move(messages)),
      retry_after_first_failure_(retry_after_first_failure) {
    retry_timer_ = timers.timer(std::move(name), [this] { retry(); });
}

void BusPresence::start() {
    try {
        drop_();
        connected_ = false;
        connect_([this] { on_lost(); });
        connected_ = true;
    } catch (const std::exception& e) {
        drop_();
        log_warning(messages_.prefix, messages_.first_failure, e.what());
        if (retry_after_first_failure_)
            retry_timer_->arm(kRetryDelay);
    }
}

// This runs inside the dead connection's callback: the connection is dropped from the timer.
void BusPresence::on_lost() {
    if (!connected_)
        return;
    connected_ = false;
    log_warning(messages_.prefix, messages_.lost);
    retry_timer_->arm(std::chrono::microseconds(0));
}

void BusPresence::retry() {
    drop_();
    try {
        connect_([this] { on_lost(); });
        connected_ = true;
        log_notice(messages_.prefix, messages_.back);
    } catch (const std::exception& e) {
        drop_();
        log_debug(messages_.prefix, "the system bus is not back yet: ", e.what());
        retry_timer_->arm(kRetryDelay);
    }
}

} // namespace scx_gamer
