// SPDX-License-Identifier: GPL-2.0-only
// An sd-event loop that ends cleanly on SIGINT or SIGTERM (Ctrl-C, systemctl stop), for the
// commands that follow the bus until told to stop: monitor and agent.
#pragma once

#include <systemd/sd-event.h>

#include <memory>

namespace scxgamerctl {

class SignalLoop {
  public:
    // Blocks SIGINT and SIGTERM for normal delivery; the loop handles them instead.
    SignalLoop();
    sd_event* get() const { return event_.get(); }
    // Runs until SIGINT/SIGTERM (returns 0) or until something calls sd_event_exit (its code).
    int run();

  private:
    struct Unref {
        void operator()(sd_event* event) const { sd_event_unref(event); }
    };
    std::unique_ptr<sd_event, Unref> event_;
};

} // namespace scxgamerctl
