// SPDX-License-Identifier: GPL-2.0-only
#include "bpf/scheduler_bpf.h"

#include "scheduler.skel.h"
#include "tuning/cpu_topology.h"
#include "util/error.h"
#include "util/log.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string_view>

namespace scx_gamer {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
    throw Error(what + ": " + std::strerror(err));
}

// The ops flags scx_gamer wants, as far as the running kernel knows them: a kernel rejects an
// ops table carrying a single flag it does not know, and the values come from its BTF rather
// than from the vmlinux.h the BPF side was compiled against.
//   ENQ_LAST: a task whose slice ends with nothing else queued comes back through ops.enqueue();
//   ENQ_EXITING, ENQ_MIGRATION_DISABLED: so do exiting and migration-disabled tasks, instead of
//   the kernel queueing them behind the scheduler's back.
uint64_t supported_ops_flags() {
    static constexpr std::string_view wanted[] = {"SCX_OPS_ENQ_LAST", "SCX_OPS_ENQ_EXITING",
                                                  "SCX_OPS_ENQ_MIGRATION_DISABLED"};

    std::unique_ptr<btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), &btf__free);
    if (!vmlinux)
        fail("reading the kernel's BTF", errno);
    int id = btf__find_by_name_kind(vmlinux.get(), "scx_ops_flags", BTF_KIND_ENUM);
    if (id < 0)
        id = btf__find_by_name_kind(vmlinux.get(), "scx_ops_flags", BTF_KIND_ENUM64);
    if (id < 0)
        throw Error("this kernel has no sched_ext (no enum scx_ops_flags in its BTF)");

    const btf_type* type = btf__type_by_id(vmlinux.get(), id);
    uint64_t flags = 0;
    for (unsigned i = 0; i < btf_vlen(type); i++) {
        uint32_t name_off;
        uint64_t value;
        if (btf_is_enum64(type)) {
            name_off = btf_enum64(type)[i].name_off;
            value = btf_enum64_value(&btf_enum64(type)[i]);
        } else {
            name_off = btf_enum(type)[i].name_off;
            value = static_cast<uint32_t>(btf_enum(type)[i].val);
        }
        const std::string_view name = btf__name_by_offset(vmlinux.get(), name_off);
        for (auto w : wanted)
            if (name == w)
                flags |= value;
    }
    return flags;
}

// The kernel refuses to enable a scheduler loaded before a CPU hotplug event it has not seen;
// 0 (no file: an older kernel) disables the check.
uint64_t hotplug_seq() {
    std::ifstream in("/sys/kernel/sched_ext/hotplug_seq");
    uint64_t seq = 0;
    in >> seq;
    return seq;
}

// Sum over CPUs of each of the `entries` u64 slots of a per-CPU array map. One batched read,
// not one bpf() call per slot: GetStats reads 128 histogram buckets, and under emulation each
// call costs tens of microseconds.
std::vector<uint64_t> sum_percpu_array(const bpf_map* map, uint32_t entries, const char* what) {
    const int cpus = libbpf_num_possible_cpus();
    if (cpus < 0)
        fail("counting possible CPUs", -cpus);
    std::vector<uint32_t> keys(entries);
    std::vector<uint64_t> values(static_cast<size_t>(entries) * static_cast<size_t>(cpus));
    uint32_t count = entries;
    uint32_t next_key = 0;
    // ENOENT: the read reached the end of the map, which is what is asked for.
    const int err = bpf_map_lookup_batch(bpf_map__fd(map), nullptr, &next_key, keys.data(),
                                         values.data(), &count, nullptr);
    if (err && err != -ENOENT)
        fail(std::string("reading ") + what, -err);
    if (count != entries)
        throw Error(std::string("reading ") + what + ": the kernel returned " +
                    std::to_string(count) + " of " + std::to_string(entries) + " entries");
    std::vector<uint64_t> sums(entries);
    for (uint32_t i = 0; i < count; i++) {
        const auto first = values.begin() + static_cast<std::ptrdiff_t>(i) * cpus;
        sums[keys[i]] = std::accumulate(first, first + cpus, uint64_t{0});
    }
    return sums;
}

std::string bounded_string(const char* buf, size_t size) {
    return std::string(buf, strnlen(buf, size));
}

// While alive, every libbpf message, debug level included, goes to stderr; then libbpf's
// previous printer is back.
class LibbpfDebugOutput {
  public:
    LibbpfDebugOutput() : previous_(libbpf_set_print(&print)) {}
    ~LibbpfDebugOutput() { libbpf_set_print(previous_); }
    LibbpfDebugOutput(const LibbpfDebugOutput&) = delete;
    LibbpfDebugOutput& operator=(const LibbpfDebugOutput&) = delete;

  private:
    static int print(libbpf_print_level, const char* format, va_list args) {
        return std::vfprintf(stderr, format, args);
    }
    libbpf_print_fn_t previous_;
};

} // namespace

struct SchedulerBpf::Impl {
    // Declared in construction order: destroyed the other way round, the link (detach) before
    // the object it belongs to.
    std::unique_ptr<scheduler_bpf, decltype(&scheduler_bpf::destroy)> skel{nullptr,
                                                                           &scheduler_bpf::destroy};
    std::unique_ptr<ring_buffer, decltype(&ring_buffer__free)> exit_events{nullptr,
                                                                           &ring_buffer__free};
    std::unique_ptr<bpf_link, decltype(&bpf_link__destroy)> link{nullptr, &bpf_link__destroy};
};

SchedulerBpf::SchedulerBpf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchedulerBpf::SchedulerBpf(SchedulerBpf&&) noexcept = default;
SchedulerBpf& SchedulerBpf::operator=(SchedulerBpf&&) noexcept = default;
SchedulerBpf::~SchedulerBpf() = default;

SchedulerBpf SchedulerBpf::open_and_load(const SchedulerConfig& config) {
    std::optional<LibbpfDebugOutput> debug_output;
    if (config.verbose)
        debug_output.emplace();

    auto impl = std::make_unique<Impl>();
    impl->skel.reset(scheduler_bpf::open());
    if (!impl->skel)
        fail("opening the scheduler", errno);
    scheduler_bpf& skel = *impl->skel;

    const int cpus = libbpf_num_possible_cpus();
    if (cpus < 0)
        fail("counting possible CPUs", -cpus);
    skel.rodata->nr_cpus = static_cast<uint32_t>(cpus);
    skel.rodata->primary_all = config.primary_cpus.empty();
    skel.rodata->daemon_tgid = config.daemon_tgid;
    for (int cpu : config.primary_cpus) {
        if (cpu < 0 || cpu >= cpus || cpu >= GAMER_MAX_CPUS)
            throw Error("primary domain: there is no CPU " + std::to_string(cpu));
        skel.rodata->primary_cpus[cpu / 64] |= 1ULL << (cpu % 64);
    }

    // The cache domains, read again at every load: a CPU hotplug event ends the scheduler
    // (the kernel's default, see docs/scheduler.md) and the daemon loads it anew.
    const CacheDomains domains = read_cache_domains(std::min(cpus, GAMER_MAX_CPUS));
    skel.rodata->nr_llcs = domains.count;
    std::copy(domains.cpu_llc.begin(), domains.cpu_llc.end(), skel.rodata->cpu_llc);
    log_info("cache domains: ", describe(domains),
             domains.from_l3 ? "" : ", no L3 information in sysfs");

    skel.bss->tunables = config.tunables;

    skel.struct_ops.gamer_ops->flags = supported_ops_flags();
    skel.struct_ops.gamer_ops->exit_dump_len = config.exit_dump_len;
    skel.struct_ops.gamer_ops->hotplug_seq = hotplug_seq();

    if (config.game_map_fd >= 0)
        if (const int err = bpf_map__reuse_fd(skel.maps.game_tgids, config.game_map_fd))
            fail("sharing the detector's game map with the scheduler", -err);

    if (const int err = scheduler_bpf::load(&skel))
        fail("loading the scheduler", -err);

    // Only the wakeup matters: consume_exit() reads the record from exit_info.
    auto drop = [](void*, void*, size_t) { return 0; };
    impl->exit_events.reset(
        ring_buffer__new(bpf_map__fd(skel.maps.exit_events), drop, nullptr, nullptr));
    if (!impl->exit_events)
        fail("opening the scheduler's exit ring buffer", errno);

    return SchedulerBpf(std::move(impl));
}

void SchedulerBpf::attach() {
    if (attached())
        return;
    // A new run: drop the link of one the kernel ended, and forget how it ended.
    impl_->link.reset();
    std::memset(&impl_->skel->bss->exit_info, 0, sizeof(impl_->skel->bss->exit_info));
#ifdef SCX_GAMER_TEST_HOOKS
    impl_->skel->bss->test_inject_error = 0;
    impl_->skel->bss->test_stall_pid = 0;
#endif
    // The skeleton's own attach() is never called, so its auto-attach of struct_ops maps
    // cannot race this one.
    impl_->link.reset(bpf_map__attach_struct_ops(impl_->skel->maps.gamer_ops));
    if (!impl_->link) {
        const int err = errno;
        if (err == EBUSY)
            throw Error("attaching the scheduler: another sched_ext scheduler is active");
        fail("attaching the scheduler", err);
    }
}

void SchedulerBpf::detach() {
    impl_->link.reset();
}

bool SchedulerBpf::attached() const {
    return impl_->link &&
           std::atomic_ref(impl_->skel->bss->exit_info.kind).load(std::memory_order_acquire) == 0;
}

void SchedulerBpf::set_tunables(const gamer_tunables& tunables) {
    impl_->skel->bss->tunables = tunables;
}

gamer_tunables SchedulerBpf::tunables() const {
    return impl_->skel->bss->tunables;
}

void SchedulerBpf::add_game(uint32_t tgid) {
    const uint32_t one = 1;
    const int err = bpf_map__update_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), &one,
                                         sizeof(one), BPF_ANY);
    if (err)
        fail("adding game " + std::to_string(tgid), -err);
    // After the map update: a task that sees the new generation finds the new map content.
    std::atomic_ref(impl_->skel->bss->game_gen).fetch_add(1, std::memory_order_release);
}

void SchedulerBpf::remove_game(uint32_t tgid) {
    const int err = bpf_map__delete_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), 0);
    if (err == -ENOENT)
        return;
    if (err)
        fail("removing game " + std::to_string(tgid), -err);
    std::atomic_ref(impl_->skel->bss->game_gen).fetch_add(1, std::memory_order_release);
}

void SchedulerBpf::games_changed() {
    std::atomic_ref(impl_->skel->bss->game_gen).fetch_add(1, std::memory_order_release);
}

std::array<uint64_t, GAMER_NR_STATS> SchedulerBpf::stats() const {
    const auto sums = sum_percpu_array(impl_->skel->maps.stats, GAMER_NR_STATS, "statistics");
    std::array<uint64_t, GAMER_NR_STATS> out{};
    std::copy(sums.begin(), sums.end(), out.begin());
    return out;
}

std::vector<uint64_t> SchedulerBpf::latency_histogram() const {
    return sum_percpu_array(impl_->skel->maps.lat_hist, GAMER_LAT_BUCKETS, "latency histogram");
}

std::vector<uint64_t> SchedulerBpf::cpu_perf_targets() const {
    const int cpus = libbpf_num_possible_cpus();
    if (cpus < 0)
        fail("counting possible CPUs", -cpus);
    // A per-CPU map's value, as the kernel returns it: one u64 slot per possible CPU.
    std::vector<uint64_t> targets(static_cast<size_t>(cpus));
    const uint32_t zero = 0;
    const int err = bpf_map__lookup_elem(impl_->skel->maps.cpu_perf, &zero, sizeof(zero),
                                         targets.data(), targets.size() * sizeof(uint64_t), 0);
    if (err)
        fail("reading the CPUs' performance targets", -err);
    return targets;
}

int SchedulerBpf::exit_fd() const {
    return ring_buffer__epoll_fd(impl_->exit_events.get());
}

std::optional<SchedulerExit> SchedulerBpf::consume_exit() {
    const int n = ring_buffer__consume(impl_->exit_events.get());
    if (n < 0)
        fail("reading the scheduler's exit ring buffer", -n);

    gamer_exit_info& info = impl_->skel->bss->exit_info;
    const int32_t kind = std::atomic_ref(info.kind).load(std::memory_order_acquire);
    if (kind == 0)
        return std::nullopt;
    return SchedulerExit{
        .kind = kind,
        .exit_code = info.exit_code,
        .reason = bounded_string(info.reason, sizeof(info.reason)),
        .msg = bounded_string(info.msg, sizeof(info.msg)),
    };
}

#ifdef SCX_GAMER_TEST_HOOKS
void SchedulerBpf::inject_error() {
    std::atomic_ref(impl_->skel->bss->test_inject_error).store(1, std::memory_order_relaxed);
}

void SchedulerBpf::stall_task(uint32_t tid) {
    std::atomic_ref(impl_->skel->bss->test_stall_pid).store(tid, std::memory_order_relaxed);
}
#endif

} // namespace scx_gamer
