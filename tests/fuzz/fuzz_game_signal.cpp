// SPDX-License-Identifier: GPL-2.0-only
// Text a process controls, from its exec record to what leaves the daemon: the input is comm,
// exe, argv, environ and status separated by 0x1e bytes (argv and environ NUL-separated), as in
// fuzz_proc. It is classified (a rule makes every process with a name a game), added to a
// GameRegistry, and the registry's listener builds the GameDetected signal with sd-bus and the
// daemon's log lines, as the daemon does.
//
// Invariants:
//   - no exception escapes (libFuzzer reports one as a crash), and no listener fails;
//   - sd-bus accepts the signal's strings (its own UTF-8 check is the oracle, not ours);
//   - every log line is one record: one newline, at its end, and valid UTF-8 for sd-bus too,
//     whether it carries the registry's name or the classifier's raw one.
#include "fuzz_check.h"
#include "games/classifier.h"
#include "games/game_registry.h"
#include "games/game_rules.h"
#include "games/proc_reader.h"
#include "util/log.h"

#include <systemd/sd-bus.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>

using namespace scx_gamer;
using fuzz::require;

namespace {

constexpr pid_t kPid = 4242;

class InputProcReader final : public ProcReader {
  public:
    InputProcReader(std::string exe, std::string status)
        : exe_(std::move(exe)), status_(std::move(status)) {}
    std::optional<std::string> comm(pid_t) const override { return std::nullopt; }
    std::optional<std::string> exe(pid_t) const override { return exe_; }
    std::optional<std::vector<std::string>> cmdline(pid_t) const override { return std::nullopt; }
    std::optional<std::vector<std::string>> environment(pid_t) const override {
        return std::nullopt;
    }
    std::optional<pid_t> parent(pid_t) const override { return parse_status_ppid(status_); }
    std::optional<uid_t> owner(pid_t) const override { return parse_status_uid(status_); }

  private:
    std::string exe_;
    std::string status_;
};

// An sd-bus connection that is open (authenticating over a socketpair nobody answers): enough
// for sd-bus to build messages and check their contents; nothing is ever sent.
struct MessageFactory {
    MessageFactory() {
        int fds[2];
        require(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
        peer = fds[1];
        require(sd_bus_new(&bus) >= 0 && sd_bus_set_fd(bus, fds[0], fds[0]) >= 0 &&
                    sd_bus_start(bus) >= 0,
                "an sd-bus connection to build messages on");
    }
    // Whether sd-bus takes `strings` as the arguments of a signal (u, then each as s).
    bool accepts(uint32_t pid, const std::vector<std::string>& strings) const {
        sd_bus_message* raw = nullptr;
        if (sd_bus_message_new_signal(bus, &raw, "/org/cachyos/ScxGamer", "org.cachyos.ScxGamer",
                                      "GameDetected") < 0)
            return false;
        std::unique_ptr<sd_bus_message, decltype(&sd_bus_message_unref)> message(
            raw, sd_bus_message_unref);
        if (sd_bus_message_append(raw, "u", pid) < 0)
            return false;
        return std::all_of(strings.begin(), strings.end(), [&](const std::string& text) {
            return sd_bus_message_append(raw, "s", text.c_str()) >= 0 &&
                   text.find('\0') == std::string::npos;
        });
    }
    sd_bus* bus = nullptr;
    int peer = -1;
};

const MessageFactory& factory() {
    static const MessageFactory instance;
    return instance;
}

const Classifier& classifier() {
    static const Classifier instance(
        GameRules::parse("[include]\npaths = [\"*\"]\n", "games.toml"));
    return instance;
}

// One record: exactly one newline, at the end, and text sd-bus would take.
void require_one_record(const std::string& line) {
    require(!line.empty() && line.back() == '\n' && std::count(line.begin(), line.end(), '\n') == 1,
            "a log line is one record", line);
    require(factory().accepts(0, {line.substr(0, line.size() - 1)}),
            "a log line is valid UTF-8 without NUL", line);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fuzz::split(fuzz::as_text(data, size), '\x1e');
    const auto part = [&](std::size_t i) { return i < parts.size() ? parts[i] : std::string(); };
    const InputProcReader reader(part(1), part(4));
    ExecStrings strings;
    strings.argv = split_nul_separated(part(2), false);
    strings.environment = split_nul_separated(part(3), false);
    strings.complete = true;
    const auto info = process_info_at_exec(reader, kPid, 1, 1000, part(0), strings);
    require(info.has_value(), "a process with an exe is read");
    const Verdict verdict = classifier().classify(*info);

    // The daemon logs the raw verdict when it refuses a process, and its debug line.
    require_one_record(format_log_line(LogLevel::notice, "not treating pid 4242 (" + verdict.name +
                                                             ") as a game: " + verdict.reason));
    if (!verdict.is_game)
        return 0;

    GameRegistry registry;
    bool announced = false;
    registry.on_added([&](const Game& game) {
        require(factory().accepts(game.pid, {game.name, game.exe, game.reason}),
                "sd-bus accepts GameDetected's strings", game.name);
        require_one_record(format_log_line(
            LogLevel::notice, "game detected: " + game.name + " (pid " + std::to_string(game.pid) +
                                  ", " + game.reason + ")"));
        announced = true;
    });
    const AddResult added =
        registry.add(Game{static_cast<uint32_t>(kPid), verdict.name, info->exe, verdict.reason, 0,
                          std::nullopt, info->steam_app_id, reader.owner(kPid)});
    require(added == AddResult::added && announced, "a game is added and announced");
    return 0;
}
