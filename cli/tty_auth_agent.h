// SPDX-License-Identifier: GPL-2.0-only
// A polkit authentication agent for terminal use. Desktop sessions run their own agent; on a text
// console or over ssh nobody could answer polkit's password prompt, so, like systemctl, we start
// pkttyagent as a fallback agent for the duration of a privileged call.
#pragma once

#include <sys/types.h>

#include <memory>

namespace scxgamerctl {

class TtyAuthAgent {
  public:
    // Starts `pkttyagent --fallback` when stdin is a terminal (someone can type a password) and
    // waits until it has registered. Returns nothing when that is not useful or not possible;
    // the call then goes ahead and polkit answers without asking.
    static std::unique_ptr<TtyAuthAgent> start_if_useful();
    // Stops the agent.
    ~TtyAuthAgent();

    TtyAuthAgent(const TtyAuthAgent&) = delete;
    TtyAuthAgent& operator=(const TtyAuthAgent&) = delete;

  private:
    explicit TtyAuthAgent(pid_t pid) : pid_(pid) {}
    pid_t pid_;
};

} // namespace scxgamerctl
