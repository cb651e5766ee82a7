// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_scheduler.h"

namespace scx_gamer {

namespace {

class BpfScheduler final : public Scheduler {
  public:
    BpfScheduler(EventLoop& loop, const SchedulerConfig& config, std::function<void()> on_exit)
        : bpf_(SchedulerBpf::open_and_load(config)) {
        bpf_.attach();
        exit_ = loop.watch_readable("scheduler exit", bpf_.exit_fd(), std::move(on_exit));
    }
    bool attached() const override { return bpf_.attached(); }
    void set_tunables(const gamer_tunables& tunables) override { bpf_.set_tunables(tunables); }
    gamer_tunables tunables() const override { return bpf_.tunables(); }
    void add_game(uint32_t tgid) override { bpf_.add_game(tgid); }
    void remove_game(uint32_t tgid) override { bpf_.remove_game(tgid); }
    void games_changed() override { bpf_.games_changed(); }
    std::array<uint64_t, GAMER_NR_STATS> stats() const override { return bpf_.stats(); }
    std::vector<uint64_t> latency_histogram() const override { return bpf_.latency_histogram(); }
    std::vector<uint64_t> cpu_perf_targets() const override { return bpf_.cpu_perf_targets(); }
    std::optional<SchedulerExit> consume_exit() override { return bpf_.consume_exit(); }
    void stop_exit_reports() override { exit_.disable(); }

  private:
    SchedulerBpf bpf_;
    EventSource exit_; // declared last: released before the scheduler whose fd it watches
};

} // namespace

SchedulerLoader bpf_scheduler_loader(EventLoop& loop) {
    return [&loop](const SchedulerConfig& config, std::function<void()> on_exit) {
        return std::make_unique<BpfScheduler>(loop, config, std::move(on_exit));
    };
}

} // namespace scx_gamer
