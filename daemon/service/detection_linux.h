// SPDX-License-Identifier: GPL-2.0-only
// The real sides of DetectionPipeline's injected dependencies: the kernel's detector
// (DetectorBpf), the process table under /proc, and pidfd exit watches on the event loop.
#pragma once

#include "bpf/detector_bpf.h"
#include "event_loop.h"
#include "service/detection_pipeline.h"
#include "util/unique_fd.h"

#include <map>

namespace scx_gamer {

class BpfDetectorPort final : public DetectorPort {
  public:
    explicit BpfDetectorPort(DetectorBpf& detector) : detector_(detector) {}
    size_t consume(const std::function<void(const DetectorRecord&)>& on_record) override {
        return detector_.consume(on_record);
    }
    void watch(uint32_t root) override { detector_.watch(root); }
    void unwatch(uint32_t root) override { detector_.unwatch(root); }
    std::optional<uint32_t> tree_of(uint32_t tgid) const override {
        return detector_.tree_of(tgid);
    }
    std::optional<Released> release(uint32_t tgid) override;
    bool join(uint32_t tgid, uint32_t root) override { return detector_.join(tgid, root); }
    std::vector<uint32_t> members(uint32_t root) const override { return detector_.members(root); }
    uint64_t dropped() const override { return detector_.dropped(); }
    uint64_t missed() const override { return detector_.missed(); }
    uint64_t tree_full() const override { return detector_.tree_full(); }

  private:
    DetectorBpf& detector_;
};

// /proc/PID/stat, read directly (one bounded read per process).
class LinuxProcessTable final : public ProcessTable {
  public:
    bool alive(uint32_t pid) const override;
    std::vector<uint32_t> pids() const override;
    std::vector<std::pair<uint32_t, uint32_t>> parents() const override;
    std::optional<uint64_t> threads(uint32_t pid) const override;
};

// Every game's pidfd, readable once its last thread has exited. The detector reports exits
// sooner, but the kernel skips a tracing program on a CPU where an instance of it is already
// running (preempted in it), so that report can go missing; this one cannot.
class PidfdExitWatches final : public ExitWatches {
  public:
    explicit PidfdExitWatches(EventLoop& loop) : loop_(loop) {}
    bool watch(uint32_t pid, std::function<void()> on_exit) override;
    void unwatch(uint32_t pid) override { watches_.erase(pid); }

  private:
    struct Watch {
        UniqueFd pidfd;
        EventSource readable; // declared last: released before the fd it watches is closed
    };
    EventLoop& loop_;
    std::map<uint32_t, Watch> watches_; // by pid
};

uint64_t monotonic_ns();
uint64_t realtime_us();

} // namespace scx_gamer
