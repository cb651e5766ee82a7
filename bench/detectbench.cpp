// SPDX-License-Identifier: GPL-2.0-only
// detectbench: detection latency of scx_gamer, as a client sees it: exec of a game -> the
// daemon's GameDetected signal arriving on the system bus (through the proxy generated from
// dbus/org.cachyos.ScxGamer.xml). bench/run-vm-bench --detect runs it in the sched_ext VM.
//
// Each launch forks; the child reads CLOCK_MONOTONIC into a page shared with the parent right
// before execve(), so the time measured starts at the exec itself, not at fork. The signal is
// stamped in the bus thread's handler. Launches do not overlap: the next starts once the game
// has exited and its GameExited arrived.
#include "common/cli.h"
#include "common/report.h"
#include "names.h"
#include "scxgamer-proxy.h" // generated from dbus/org.cachyos.ScxGamer.xml

#include <nlohmann/json.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

using Clock = std::chrono::steady_clock; // CLOCK_MONOTONIC on Linux, as the child reads it

// When each pid's GameDetected and GameExited arrived, filled in by the bus thread.
class GameSignals final : public sdbus::ProxyInterfaces<org::cachyos::ScxGamer_proxy> {
  public:
    explicit GameSignals(sdbus::IConnection& bus)
        : ProxyInterfaces(bus, sdbus::ServiceName{scx_gamer::dbus_names::kBusName},
                          sdbus::ObjectPath{scx_gamer::dbus_names::kObjectPath}) {
        registerProxy();
    }
    ~GameSignals() { unregisterProxy(); }

    // When pid's GameDetected arrived, if it did before `deadline`.
    std::optional<Clock::time_point> wait_detected(uint32_t pid, Clock::time_point deadline) {
        return wait_for(detected_, pid, deadline);
    }
    bool wait_exited(uint32_t pid, Clock::time_point deadline) {
        return wait_for(exited_, pid, deadline).has_value();
    }

  private:
    void onGameDetected(const uint32_t& pid, const std::string&, const std::string&,
                        const std::string&) override {
        note(detected_, pid);
    }
    void onGameExited(const uint32_t& pid, const std::string&) override { note(exited_, pid); }
    void onSchedulerExited(const std::string&, const std::string&) override {}

    void note(std::map<uint32_t, Clock::time_point>& when, uint32_t pid) {
        const auto now = Clock::now(); // before the lock: the stamp is the arrival
        std::lock_guard lock(mutex_);
        when.try_emplace(pid, now);
        changed_.notify_all();
    }

    std::optional<Clock::time_point> wait_for(std::map<uint32_t, Clock::time_point>& when,
                                              uint32_t pid, Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_until(lock, deadline, [&] { return when.contains(pid); }))
            return std::nullopt;
        return when.at(pid);
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<uint32_t, Clock::time_point> detected_;
    std::map<uint32_t, Clock::time_point> exited_;
};

// One page shared with the forked child, which writes its exec time there.
class ExecStamp {
  public:
    ExecStamp() {
        void* page = mmap(nullptr, sizeof(Clock::rep), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED)
            throw std::system_error(errno, std::generic_category(), "mmap");
        ns_ = static_cast<std::atomic<Clock::rep>*>(page);
    }
    ~ExecStamp() { munmap(ns_, sizeof(Clock::rep)); }
    ExecStamp(const ExecStamp&) = delete;
    ExecStamp& operator=(const ExecStamp&) = delete;

    void clear() { ns_->store(0); }
    // In the child, between fork and exec: only async-signal-safe calls.
    void stamp_now() { ns_->store(Clock::now().time_since_epoch().count()); }
    Clock::time_point read() const { return Clock::time_point(Clock::duration(ns_->load())); }

  private:
    std::atomic<Clock::rep>* ns_ = nullptr;
};

// argv/envp arrays built before fork: the child must not allocate.
struct Command {
    std::vector<std::string> strings;
    std::vector<char*> argv;
    std::vector<char*> envp;

    Command(std::vector<std::string> args, const std::string& app_id) : strings(std::move(args)) {
        for (auto& s : strings)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        environment.push_back("SteamAppId=" + app_id);
        for (char** e = environ; *e; ++e)
            if (std::strncmp(*e, "SteamAppId=", 11) != 0)
                environment.emplace_back(*e);
        for (auto& s : environment)
            envp.push_back(s.data());
        envp.push_back(nullptr);
    }

  private:
    std::vector<std::string> environment;
};

// Forks a child that execs command; its exec time lands in stamp.
pid_t launch(const Command& command, ExecStamp& stamp) {
    stamp.clear();
    const pid_t pid = fork();
    if (pid < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        stamp.stamp_now();
        execve(command.argv[0], command.argv.data(), command.envp.data());
        _exit(127);
    }
    return pid;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Launches a program N times as a Steam game (SteamAppId set) and times each exec "
                 "-> GameDetected signal of org.cachyos.ScxGamer on the system bus "
                 "($DBUS_SYSTEM_BUS_ADDRESS when set). Prints p50/p90/p99/max in milliseconds.",
                 "detectbench"};
    unsigned launches = 200;
    std::uint64_t app_id = 4242001;
    unsigned timeout_ms = 2000;
    std::string json_path;
    std::vector<std::string> game;
    app.add_option("-n,--launches", launches, "Games launched, one after the other")
        ->check(CLI::Range(1u, 100'000u))
        ->capture_default_str();
    app.add_option("--app-id", app_id, "SteamAppId the game is started with")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{UINT64_MAX}))
        ->capture_default_str();
    app.add_option("--timeout-ms", timeout_ms,
                   "How long to wait for each GameDetected (and GameExited) signal")
        ->check(CLI::Range(10u, 600'000u))
        ->capture_default_str();
    app.add_option("--json", json_path, "Also write the results as JSON to FILE ('-': stdout)")
        ->type_name("FILE");
    app.add_option("game", game, "The game's absolute path and arguments (after --)")
        ->required()
        ->type_name("PATH [ARGS...]");
    app.final_callback([&game] {
        if (game.front().empty() || game.front().front() != '/')
            throw CLI::ValidationError("game", "the game must be an absolute path");
    });
    if (const auto status = bench::parse_command_line(app, argc, argv))
        return *status;

    nlohmann::json out{{"schema", "scx_gamer.detectbench/1"},
                       {"launches", launches},
                       {"game", game},
                       {"app_id", app_id}};
    std::vector<double> latency_ms;
    unsigned missed = 0, exits_missed = 0;
    try {
        auto bus = sdbus::createSystemBusConnection();
        GameSignals signals(*bus);
        bus->enterEventLoopAsync();
        const Command command(game, std::to_string(app_id));
        ExecStamp stamp;
        const auto timeout = std::chrono::milliseconds(timeout_ms);
        for (unsigned i = 0; i < launches; i++) {
            const pid_t child = launch(command, stamp);
            const auto pid = static_cast<uint32_t>(child);
            const auto detected = signals.wait_detected(pid, Clock::now() + timeout);
            int status = 0;
            waitpid(child, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                std::fprintf(stderr, "detectbench: launch %u: %s exited with status %d\n", i + 1,
                             game.front().c_str(), status);
                return kExitFailed;
            }
            if (detected)
                latency_ms.push_back(ms_between(stamp.read(), *detected));
            else
                missed++;
            if (detected && !signals.wait_exited(pid, Clock::now() + timeout))
                exits_missed++;
        }
        bus->leaveEventLoop();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "detectbench: %s: %s\n", e.getName().c_str(), e.getMessage().c_str());
        return kExitFailed;
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "detectbench: %s\n", e.what());
        return kExitFailed;
    }

    out["detected"] = latency_ms.size();
    out["missed"] = missed;
    out["exits_missed"] = exits_missed;
    out["latency_ms"] = bench::summary(latency_ms);
    out["samples_ms"] = latency_ms;
    const nlohmann::json& l = out["latency_ms"];
    std::fprintf(bench::human_output(json_path),
                 "exec -> GameDetected x%zu (%u missed, %u GameExited missed): p50 %.2f ms, "
                 "p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                 latency_ms.size(), missed, exits_missed, l["p50"].get<double>(),
                 l["p90"].get<double>(), l["p99"].get<double>(), l["max"].get<double>());
    if (!bench::write_report(out, json_path, "detectbench"))
        return kExitFailed;
    return missed || exits_missed ? kExitFailed : kExitOk;
}
