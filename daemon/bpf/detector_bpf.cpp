// SPDX-License-Identifier: GPL-2.0-only
#include "bpf/detector_bpf.h"

#include "core/error.h"
#include "detector.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
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

void DetectorBpf::watch(uint32_t tgid) {
    const uint32_t one = 1;
    const int err = bpf_map__update_elem(impl_->skel->maps.watched_tgids, &tgid, sizeof(tgid), &one,
                                         sizeof(one), BPF_ANY);
    if (err)
        fail("watching process " + std::to_string(tgid), -err);
}

void DetectorBpf::unwatch(uint32_t tgid) {
    const int err = bpf_map__delete_elem(impl_->skel->maps.watched_tgids, &tgid, sizeof(tgid), 0);
    if (err && err != -ENOENT)
        fail("unwatching process " + std::to_string(tgid), -err);
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
