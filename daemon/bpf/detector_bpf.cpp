// SPDX-License-Identifier: GPL-2.0-only
#include "bpf/detector_bpf.h"

#include "detector.skel.h"
#include "util/error.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <utility>

namespace scx_gamer {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
    throw Error(what + ": " + std::strerror(err));
}

const char* hook_name(DetectorHook hook) {
    return hook == DetectorHook::Lsm ? "BPF-LSM exec hook" : "exec tracepoint";
}

// State of one consume() call, reached by the ring buffer's C callback. It lives in Impl, on
// the heap, so its address (registered with libbpf) survives moves of DetectorBpf.
struct Consumer {
    const std::function<void(const DetectorRecord&)>* on_event = nullptr;
    size_t count = 0;
    std::exception_ptr error;

    // libbpf calls this once per record; an exception must not unwind through libbpf's C
    // frames, so it is parked here and rethrown by consume().
    static int on_record(void* ctx, void* data, size_t size) {
        auto* self = static_cast<Consumer*>(ctx);
        const auto record = decode_detector_record({static_cast<const std::byte*>(data), size});
        if (!record)
            return 0; // not a record of ours; the BPF side only ever submits whole ones
        try {
            (*self->on_event)(*record);
        } catch (...) {
            self->error = std::current_exception();
            return -ECANCELED;
        }
        self->count++;
        return 0;
    }
};

} // namespace

struct DetectorBpf::Impl {
    DetectorHook hook = DetectorHook::Tracepoint;
    Consumer consumer;
    std::map<uint32_t, uint32_t> roots; // game tree root -> its slot in the detector's .bss
    uint32_t next_slot = 0;
    std::unique_ptr<detector_bpf, decltype(&detector_bpf::destroy)> skel{nullptr,
                                                                         &detector_bpf::destroy};
    // Declared last, destroyed first: before the object whose map it reads.
    std::unique_ptr<ring_buffer, decltype(&ring_buffer__free)> events{nullptr, &ring_buffer__free};
};

DetectorBpf::DetectorBpf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DetectorBpf::DetectorBpf(DetectorBpf&&) noexcept = default;
DetectorBpf& DetectorBpf::operator=(DetectorBpf&&) noexcept = default;
DetectorBpf::~DetectorBpf() = default;

DetectorBpf DetectorBpf::open_and_load(DetectorHook hook, uint32_t self_tgid) {
    auto impl = std::make_unique<Impl>();
    impl->hook = hook;
    impl->skel.reset(detector_bpf::open());
    if (!impl->skel)
        fail("opening the detector", errno);
    detector_bpf& skel = *impl->skel;

    skel.rodata->self_tgid = self_tgid;
    // Only one exec hook: with both, every exec would be reported twice.
    bpf_program* unused =
        hook == DetectorHook::Lsm ? skel.progs.detect_exec_tp : skel.progs.detect_exec_lsm;
    if (const int err = bpf_program__set_autoload(unused, false))
        fail("configuring the detector", -err);

    if (const int err = detector_bpf::load(&skel))
        fail(std::string("loading the detector (") + hook_name(hook) + ")", -err);

    impl->events.reset(ring_buffer__new(bpf_map__fd(skel.maps.events), &Consumer::on_record,
                                        &impl->consumer, nullptr));
    if (!impl->events)
        fail("opening the detector's ring buffer", errno);

    return DetectorBpf(std::move(impl));
}

void DetectorBpf::attach() {
    if (const int err = detector_bpf::attach(impl_->skel.get()))
        fail(std::string("attaching the detector (") + hook_name(impl_->hook) + ")", -err);
}

int DetectorBpf::event_fd() const {
    return ring_buffer__epoll_fd(impl_->events.get());
}

size_t DetectorBpf::consume(const std::function<void(const DetectorRecord&)>& on_event) {
    Consumer& consumer = impl_->consumer;
    consumer.on_event = &on_event;
    consumer.count = 0;
    const int err = ring_buffer__consume(impl_->events.get());
    consumer.on_event = nullptr;

    if (consumer.error)
        std::rethrow_exception(std::exchange(consumer.error, nullptr));
    if (err < 0)
        fail("reading detector events", -err);
    return consumer.count;
}

namespace {

// Every (tgid, slot) of the map; a hash map's keys change under iteration, so this is a
// snapshot that may miss or repeat an entry changed meanwhile.
std::vector<std::pair<uint32_t, uint32_t>> map_entries(const bpf_map* map) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    uint32_t key = 0, next = 0;
    const void* previous = nullptr;
    while (bpf_map__get_next_key(map, previous, &next, sizeof(next)) == 0 &&
           out.size() < GAMER_MAX_GAME_PROCS) {
        uint32_t slot = 0;
        if (bpf_map__lookup_elem(map, &next, sizeof(next), &slot, sizeof(slot), 0) == 0)
            out.emplace_back(next, slot);
        key = next;
        previous = &key;
    }
    return out;
}

} // namespace

// Tree slots: Impl::roots is the daemon's side of tree_root[] in the detector's .bss (root ->
// slot). A slot is filled before its root enters the map, and emptied after its last member
// left it, so a fork in between never finds a slot without its root.
void DetectorBpf::watch(uint32_t root) {
    if (impl_->roots.contains(root))
        return;
    auto& bss = *impl_->skel->bss;
    std::optional<uint32_t> slot;
    for (uint32_t i = 0; i < GAMER_MAX_GAMES && !slot; i++) {
        const uint32_t candidate = (impl_->next_slot + i) % GAMER_MAX_GAMES;
        if (std::atomic_ref(bss.tree_root[candidate]).load() == 0)
            slot = candidate;
    }
    if (!slot)
        throw Error("watching process " + std::to_string(root) + ": " +
                    std::to_string(GAMER_MAX_GAMES) + " games are watched already");
    // Round robin: a slot just freed is the last one reused. A process that joined a tree while
    // it was being ended may still name the slot: it is no game, and must not join this one.
    impl_->next_slot = (*slot + 1) % GAMER_MAX_GAMES;
    for (const auto& [tgid, in_slot] : map_entries(impl_->skel->maps.game_tgids))
        if (in_slot == *slot &&
            bpf_map__delete_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), 0) == 0)
            std::atomic_ref(bss.nr_joined).fetch_sub(1);
    std::atomic_ref(bss.tree_procs[*slot]).store(1);
    std::atomic_ref(bss.tree_root[*slot]).store(root);
    const int err = bpf_map__update_elem(impl_->skel->maps.game_tgids, &root, sizeof(root), &*slot,
                                         sizeof(*slot), BPF_NOEXIST);
    if (err) {
        std::atomic_ref(bss.tree_root[*slot]).store(0);
        std::atomic_ref(bss.tree_procs[*slot]).store(0);
        if (err == -EEXIST)
            throw Error("watching process " + std::to_string(root) +
                        ": it belongs to another game's process tree");
        fail("watching process " + std::to_string(root), -err);
    }
    impl_->roots.emplace(root, *slot);
}

void DetectorBpf::unwatch(uint32_t root) {
    const auto it = impl_->roots.find(root);
    if (it == impl_->roots.end())
        return;
    const uint32_t slot = it->second;
    auto& bss = *impl_->skel->bss;
    for (const auto& [tgid, in_slot] : map_entries(impl_->skel->maps.game_tgids)) {
        if (in_slot != slot)
            continue;
        if (bpf_map__delete_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), 0) == 0 &&
            tgid != root)
            std::atomic_ref(bss.nr_joined).fetch_sub(1);
    }
    std::atomic_ref(bss.tree_procs[slot]).store(0);
    std::atomic_ref(bss.tree_root[slot]).store(0);
    impl_->roots.erase(it);
}

std::optional<uint32_t> DetectorBpf::tree_of(uint32_t tgid) const {
    uint32_t slot = 0;
    if (bpf_map__lookup_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), &slot, sizeof(slot),
                             0) != 0 ||
        slot >= GAMER_MAX_GAMES)
        return std::nullopt;
    const uint32_t root = std::atomic_ref(impl_->skel->bss->tree_root[slot]).load();
    return root ? std::optional<uint32_t>(root) : std::nullopt;
}

std::optional<DetectorBpf::Released> DetectorBpf::release(uint32_t tgid) {
    uint32_t slot = 0;
    const auto map = impl_->skel->maps.game_tgids;
    if (bpf_map__lookup_elem(map, &tgid, sizeof(tgid), &slot, sizeof(slot), 0) != 0 ||
        slot >= GAMER_MAX_GAMES)
        return std::nullopt;
    // Whoever deletes the entry (this, or the exit hook) counts the process out, once.
    if (bpf_map__delete_elem(map, &tgid, sizeof(tgid), 0) != 0)
        return std::nullopt;
    auto& bss = *impl_->skel->bss;
    const uint32_t root = std::atomic_ref(bss.tree_root[slot]).load();
    if (tgid != root)
        std::atomic_ref(bss.nr_joined).fetch_sub(1);
    const bool emptied = std::atomic_ref(bss.tree_procs[slot]).fetch_sub(1) == 1;
    return Released{root, emptied};
}

bool DetectorBpf::join(uint32_t tgid, uint32_t root) {
    const auto it = impl_->roots.find(root);
    if (it == impl_->roots.end())
        return false;
    const uint32_t slot = it->second;
    auto& bss = *impl_->skel->bss;
    if (std::atomic_ref(bss.tree_procs[slot]).load() >= GAMER_MAX_TREE_PROCS ||
        std::atomic_ref(bss.nr_joined).load() >= GAMER_MAX_GAME_PROCS - GAMER_MAX_GAMES)
        return false;
    if (bpf_map__update_elem(impl_->skel->maps.game_tgids, &tgid, sizeof(tgid), &slot, sizeof(slot),
                             BPF_NOEXIST) != 0)
        return false;
    std::atomic_ref(bss.tree_procs[slot]).fetch_add(1);
    std::atomic_ref(bss.nr_joined).fetch_add(1);
    return true;
}

std::vector<uint32_t> DetectorBpf::members(uint32_t root) const {
    std::vector<uint32_t> out;
    const auto it = impl_->roots.find(root);
    if (it == impl_->roots.end())
        return out;
    for (const auto& [tgid, slot] : map_entries(impl_->skel->maps.game_tgids))
        if (slot == it->second)
            out.push_back(tgid);
    return out;
}

int DetectorBpf::game_map_fd() const {
    return bpf_map__fd(impl_->skel->maps.game_tgids);
}

uint64_t DetectorBpf::tree_full() const {
    return std::atomic_ref(impl_->skel->bss->nr_tree_full).load(std::memory_order_relaxed);
}

uint64_t DetectorBpf::dropped() const {
    return std::atomic_ref(impl_->skel->bss->nr_dropped).load(std::memory_order_relaxed);
}

uint64_t DetectorBpf::missed() const {
    uint64_t misses = 0;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, impl_->skel->obj) {
        const int fd = bpf_program__fd(prog);
        if (fd < 0)
            continue; // not loaded (the exec hook left out)
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_prog_get_info_by_fd(fd, &info, &len) == 0) // a statistic: none rather than throw
            misses += info.recursion_misses;
    }
    return misses;
}

DetectorHook DetectorBpf::hook() const {
    return impl_->hook;
}

} // namespace scx_gamer
