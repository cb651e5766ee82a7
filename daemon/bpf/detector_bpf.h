// SPDX-License-Identifier: GPL-2.0-only
// Owner of scx_gamer's game detector (bpf/detector.bpf.c) in the kernel: the loaded BPF object,
// its attachments and the ring buffer its events arrive through. Independent of the scheduler:
// detection goes on while the scheduler is detached. Move-only; destroying it detaches and
// unloads the detector.
//
//   auto det = DetectorBpf::open_and_load(DetectorHook::Lsm, getpid());
//   det.attach();
//   epoll on det.event_fd(); when it fires:
//   det.consume([&](const DetectorRecord& r) { ... });
//
// Every method throws scx_gamer::Error with its context when the kernel refuses. A moved-from
// object may only be destroyed or assigned to.
#pragma once

#include "core/detector_record.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace scx_gamer {

// Which hook reports execs. Lsm needs "bpf" among the active LSMs
// (SystemState::bpf_lsm_active()); Tracepoint works wherever BTF does.
enum class DetectorHook { Lsm, Tracepoint };

class DetectorBpf {
  public:
    // Loads the detector with the exec hook `hook` (the other one is not loaded). Execs and
    // renames of thread group `self_tgid` (the daemon) are never reported.
    static DetectorBpf open_and_load(DetectorHook hook, uint32_t self_tgid);

    DetectorBpf(DetectorBpf&&) noexcept;
    DetectorBpf& operator=(DetectorBpf&&) noexcept;
    ~DetectorBpf();

    // Starts reporting: exec, rename (thread group leaders), exit (watched thread groups).
    void attach();

    // Readable (epoll) while events wait; then call consume().
    int event_fd() const;
    // Hands every waiting record to on_event, in order; returns how many. If on_event throws,
    // the records after that one stay queued and the exception propagates.
    size_t consume(const std::function<void(const DetectorRecord&)>& on_event);

    // Report the end of thread group `tgid` (one GAMER_EV_EXIT when its last thread exits;
    // the watch ends with it). unwatch of an unwatched tgid is a no-op.
    void watch(uint32_t tgid);
    void unwatch(uint32_t tgid);

    // Events lost because the daemon did not consume fast enough, since load.
    uint64_t dropped() const;
    // Runs of the detector's programs the kernel skipped, since load: it runs a tracing program
    // (tracepoint, fentry) under a per-CPU recursion guard, and a task preempted inside it makes
    // the program skip for other tasks on that CPU. LSM programs are never skipped. A program
    // whose statistics cannot be read counts as none.
    uint64_t missed() const;
    DetectorHook hook() const;

  private:
    struct Impl;
    explicit DetectorBpf(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace scx_gamer
