// SPDX-License-Identifier: GPL-2.0-only
#include "signal_loop.h"

#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

namespace scxgamerctl {

SignalLoop::SignalLoop() {
    sd_event* event = nullptr;
    int r = sd_event_new(&event);
    if (r < 0)
        throw std::runtime_error(std::string("cannot create an event loop: ") + std::strerror(-r));
    event_.reset(event);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    // A null handler makes sd-event leave the loop with the userdata (0) as exit code; the
    // sources are floating, owned by the loop.
    for (int signal : {SIGINT, SIGTERM}) {
        r = sd_event_add_signal(event, nullptr, signal, nullptr, nullptr);
        if (r < 0)
            throw std::runtime_error(std::string("cannot watch signals: ") + std::strerror(-r));
    }
}

int SignalLoop::run() {
    const int r = sd_event_loop(event_.get());
    return r < 0 ? 1 : r;
}

} // namespace scxgamerctl
