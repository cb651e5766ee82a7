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

#include "games/detector_record.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

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

    // Game trees (bpf/intf.h): watch() makes `root` a tree's root; from then on the processes
    // its members fork join the tree in the kernel, and one GAMER_EV_EXIT (root = `root`)
    // reports the end of the tree's last process. watch of a root already watched is a no-op;
    // it throws when GAMER_MAX_GAMES trees exist or `root` belongs to another tree already.
    void watch(uint32_t root);
    // Ends the tree of `root` (its processes are no game's any more); a no-op for a non-root.
    void unwatch(uint32_t root);
    // The root of the tree `tgid` belongs to, or nullopt.
    std::optional<uint32_t> tree_of(uint32_t tgid) const;
    // Takes `tgid` out of its tree (a helper that is no part of the game). Returns its tree's
    // root, and whether it was the tree's last process (no GAMER_EV_EXIT will come then: the
    // caller ends the game); nullopt when `tgid` was in no tree.
    struct Released {
        uint32_t root = 0;
        bool tree_emptied = false;
    };
    std::optional<Released> release(uint32_t tgid);
    // Adds `tgid` to the tree of `root` as if a member had just forked it, within the same bounds
    // (intf.h). False when it is in a tree already, `root` is none, or a bound is reached.
    bool join(uint32_t tgid, uint32_t root);
    // The processes of the tree of `root` (the root included while it is in it).
    std::vector<uint32_t> members(uint32_t root) const;
    // The map of every tree's processes, for SchedulerConfig::game_map_fd.
    int game_map_fd() const;
    // Forks of a game's process that joined no tree because a bound was reached, since load.
    uint64_t tree_full() const;

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
