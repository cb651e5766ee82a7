// SPDX-License-Identifier: GPL-2.0-only
// dbus_load: many concurrent clients of org.cachyos.ScxGamer for tests/vm/test-dbus-load.sh.
//
// Each client is a thread with a bus connection of its own (so the daemon sees N peers, not one),
// calling GetStats and reading a property (Profile, Flags, SchedulerState in turn) through the
// proxy generated from dbus/org.cachyos.ScxGamer.xml, back to back, until the run ends. All
// connections are made before the first call. Meanwhile the main thread samples the daemon's
// VmRSS twice a second. Prints one JSON object: calls, errors (by D-Bus error name), latency
// quantiles, per-client call counts and the RSS samples; the test decides what passes.
#include "common/cli.h" // the benchmarks' command lines and order statistics
#include "common/report.h"
#include "names.h"
#include "scxgamer-proxy.h" // generated from dbus/org.cachyos.ScxGamer.xml

#include <nlohmann/json.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

using Clock = std::chrono::steady_clock;

// The generated proxy is abstract (signal handlers); nothing subscribes, so they never run.
class Client final : public sdbus::ProxyInterfaces<org::cachyos::ScxGamer_proxy> {
  public:
    explicit Client(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, sdbus::ServiceName{scx_gamer::dbus_names::kBusName},
                          sdbus::ObjectPath{scx_gamer::dbus_names::kObjectPath}) {}
    ~Client() { unregisterProxy(); }

  private:
    void onGameDetected(const uint32_t&, const std::string&, const std::string&,
                        const std::string&) override {}
    void onGameExited(const uint32_t&, const std::string&) override {}
    void onSchedulerExited(const std::string&, const std::string&) override {}
};

struct ClientResult {
    uint64_t calls = 0;
    std::map<std::string, uint64_t> errors; // D-Bus error name -> count
    std::vector<float> latency_us;
    std::string connect_error;
};

// One client: connects, waits for every other client to be connected, then calls until `stop`.
void run_client(std::barrier<>& connected, const std::atomic<bool>& stop, ClientResult& out) {
    std::unique_ptr<sdbus::IConnection> bus;
    std::optional<Client> client;
    try {
        bus = sdbus::createSystemBusConnection();
        client.emplace(*bus);
    } catch (const sdbus::Error& e) {
        out.connect_error = e.getName() + ": " + e.getMessage();
    }
    connected.arrive_and_wait();
    if (!client)
        return;
    // Every call is counted and timed on its own, answered or not.
    auto timed = [&out](auto call) {
        const auto start = Clock::now();
        try {
            call();
        } catch (const sdbus::Error& e) {
            out.errors[e.getName()]++;
        }
        out.calls++;
        out.latency_us.push_back(
            std::chrono::duration<float, std::micro>(Clock::now() - start).count());
    };
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); i++) {
        // A GetStats and a property read: what monitoring clients do.
        timed([&] { client->GetStats(); });
        timed([&] {
            switch (i % 3) {
            case 0:
                client->Profile();
                break;
            case 1:
                client->Flags();
                break;
            default:
                client->SchedulerState();
                break;
            }
        });
    }
}

// VmRSS of PID in KiB, nullopt when it cannot be read (the daemon is gone).
std::optional<uint64_t> vm_rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            uint64_t kib = 0;
            if (status >> kib)
                return kib;
            return std::nullopt;
        }
        status.ignore(4096, '\n');
    }
    return std::nullopt;
}

int run(int argc, char** argv) {
    CLI::App app{"Runs N concurrent clients of org.cachyos.ScxGamer on the system bus, each on its "
                 "own connection calling GetStats and reading properties, for SECS seconds, while "
                 "sampling the daemon's VmRSS; prints the counts as JSON.",
                 "dbus_load"};
    unsigned clients = 200;
    unsigned seconds = 30;
    int rss_pid = 0;
    unsigned rss_interval_ms = 500;
    app.add_option("-c,--clients", clients, "Concurrent clients (connections)")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    app.add_option("-t,--seconds", seconds, "Length of the run once all are connected")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    app.add_option("--rss-pid", rss_pid, "Sample this process's VmRSS during the run")
        ->check(CLI::PositiveNumber);
    app.add_option("--rss-interval-ms", rss_interval_ms, "Time between VmRSS samples")
        ->check(CLI::Range(10u, 10'000u))
        ->capture_default_str();
    if (const auto status = bench::parse_command_line(app, argc, argv))
        return *status;

    std::vector<ClientResult> results(clients);
    std::atomic<bool> stop{false};
    // The clients and the main thread: the run starts when every client is connected.
    std::barrier connected(static_cast<std::ptrdiff_t>(clients) + 1);
    std::vector<std::jthread> threads;
    threads.reserve(clients);
    try {
        for (unsigned i = 0; i < clients; i++)
            threads.emplace_back(run_client, std::ref(connected), std::cref(stop),
                                 std::ref(results[i]));
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "dbus_load: cannot start client %zu: %s\n", threads.size(), e.what());
        stop = true;
        // The barrier still expects the missing clients: stand in for them.
        for (std::size_t i = threads.size(); i < clients; i++)
            connected.arrive_and_drop();
        connected.arrive_and_wait();
        return kExitFailed;
    }
    connected.arrive_and_wait();

    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(seconds);
    nlohmann::json rss = nlohmann::json::array();
    for (auto next = start; next < end; next += std::chrono::milliseconds(rss_interval_ms)) {
        std::this_thread::sleep_until(next);
        if (rss_pid > 0) {
            const double t = std::chrono::duration<double>(Clock::now() - start).count();
            const auto kib = vm_rss_kib(rss_pid);
            rss.push_back({{"t", t}, {"kib", kib ? nlohmann::json(*kib) : nlohmann::json()}});
        }
    }
    std::this_thread::sleep_until(end);
    stop = true;
    threads.clear(); // joins; each client finishes the call in progress
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

    uint64_t calls = 0;
    uint64_t errors = 0;
    uint64_t min_calls = UINT64_MAX;
    unsigned connect_failures = 0;
    std::map<std::string, uint64_t> error_names;
    std::vector<float> latency;
    for (const ClientResult& r : results) {
        calls += r.calls;
        min_calls = std::min(min_calls, r.calls);
        if (!r.connect_error.empty()) {
            connect_failures++;
            error_names["connect: " + r.connect_error]++;
        }
        for (const auto& [name, count] : r.errors) {
            errors += count;
            error_names[name] += count;
        }
        latency.insert(latency.end(), r.latency_us.begin(), r.latency_us.end());
    }
    std::sort(latency.begin(), latency.end());

    const nlohmann::json out{
        {"clients", clients},
        {"run_seconds", seconds}, // the RSS samples' time span
        {"seconds", elapsed},     // until the last client's last call ended
        {"calls", calls},
        {"calls_per_s", static_cast<double>(calls) / elapsed},
        {"errors", errors},
        {"connect_failures", connect_failures},
        {"error_names", error_names},
        {"min_calls_per_client", clients ? min_calls : 0},
        {"latency_us",
         {{"p50", bench::quantile(latency, 0.50)},
          {"p90", bench::quantile(latency, 0.90)},
          {"p99", bench::quantile(latency, 0.99)},
          {"max", latency.empty() ? 0.0 : static_cast<double>(latency.back())}}},
        {"rss", rss},
    };
    std::cout << out.dump() << "\n";
    return kExitOk;
}

} // namespace

// One line and a failure status for anything thrown (a bus that cannot be reached, JSON that
// cannot be printed), never std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dbus_load: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "dbus_load: unknown error\n");
    }
    return kExitFailed;
}
