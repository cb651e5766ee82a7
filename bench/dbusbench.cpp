// SPDX-License-Identifier: GPL-2.0-only
// dbusbench: GetStats round-trip latency of org.cachyos.ScxGamer, measured by a client that calls
// it back to back through the proxy generated from dbus/org.cachyos.ScxGamer.xml (the same proxy
// scxgamerctl uses). bench/run-dbus-bench runs it against the real daemon in the sched_ext VM and
// against the real D-Bus object on a private bus on the host.
//
// One connection, synchronous calls: each sample is send -> dbus-daemon -> daemon -> reply parsed
// into a map, timed with CLOCK_MONOTONIC. Warm-up calls (connection set-up, first allocations)
// are reported apart from the measured ones.
#include "common/cli.h"
#include "common/report.h"
#include "names.h"
#include "scxgamer-proxy.h" // generated from dbus/org.cachyos.ScxGamer.xml

#include <nlohmann/json.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

// The generated proxy is abstract (signal handlers); this client subscribes to nothing, so the
// handlers are never registered (registerProxy() is not called) and never run.
class StatsClient final : public sdbus::ProxyInterfaces<org::cachyos::ScxGamer_proxy> {
  public:
    explicit StatsClient(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, sdbus::ServiceName{scx_gamer::dbus_names::kBusName},
                          sdbus::ObjectPath{scx_gamer::dbus_names::kObjectPath}) {}
    ~StatsClient() { unregisterProxy(); }

  private:
    void onGameDetected(const uint32_t&, const std::string&, const std::string&,
                        const std::string&) override {}
    void onGameExited(const uint32_t&, const std::string&) override {}
    void onSchedulerExited(const std::string&, const std::string&) override {}
};

double micros_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
        .count();
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Times N back-to-back GetStats calls to org.cachyos.ScxGamer on the system bus "
                 "($DBUS_SYSTEM_BUS_ADDRESS when set) and prints p50/p90/p99/max in microseconds.",
                 "dbusbench"};
    unsigned calls = 1000;
    unsigned warmup = 10;
    std::string json_path;
    app.add_option("-n,--calls", calls, "Measured calls")
        ->check(CLI::Range(1u, 10'000'000u))
        ->capture_default_str();
    app.add_option("--warmup", warmup, "Calls made first and not counted")
        ->check(CLI::Range(0u, 100'000u))
        ->capture_default_str();
    app.add_option("--json", json_path, "Also write the results as JSON to FILE ('-': stdout)")
        ->type_name("FILE");
    if (const auto status = bench::parse_command_line(app, argc, argv))
        return *status;

    nlohmann::json out{{"schema", "scx_gamer.dbusbench/1"}, {"calls", calls}, {"warmup", warmup}};
    try {
        const auto connect_start = std::chrono::steady_clock::now();
        auto bus = sdbus::createSystemBusConnection();
        StatsClient client(*bus);
        out["connect_us"] = micros_since(connect_start);

        std::vector<double> warm;
        std::size_t keys = 0;
        for (unsigned i = 0; i < warmup; i++) {
            const auto start = std::chrono::steady_clock::now();
            keys = client.GetStats().size();
            warm.push_back(micros_since(start));
        }
        std::vector<double> samples;
        samples.reserve(calls);
        const auto loop_start = std::chrono::steady_clock::now();
        for (unsigned i = 0; i < calls; i++) {
            const auto start = std::chrono::steady_clock::now();
            keys = client.GetStats().size();
            samples.push_back(micros_since(start));
        }
        const double loop_us = micros_since(loop_start);
        out["first_call_us"] = warm.empty() ? samples.front() : warm.front();
        out["warmup_us"] = bench::summary(warm);
        out["latency_us"] = bench::summary(samples);
        out["calls_per_s"] = static_cast<double>(calls) / (loop_us / 1e6);
        out["reply_keys"] = keys;
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "dbusbench: %s: %s\n", e.getName().c_str(), e.getMessage().c_str());
        return kExitFailed;
    }

    const nlohmann::json& l = out["latency_us"];
    std::fprintf(bench::human_output(json_path),
                 "GetStats x%u: p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us (%.0f calls/s, "
                 "%zu keys per reply)\n",
                 calls, l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                 l["max"].get<double>(), out["calls_per_s"].get<double>(),
                 out["reply_keys"].get<std::size_t>());
    return bench::write_report(out, json_path, "dbusbench") ? kExitOk : kExitFailed;
}
