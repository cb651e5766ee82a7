// SPDX-License-Identifier: GPL-2.0-only
// What the classifier reads from /proc about a new process — content the process controls. The
// input is comm, exe, cmdline, environ and status separated by 0x1e bytes (cmdline and environ
// NUL-separated, as the kernel shows them). Nothing parses /proc/PID/stat: status gives PPid.
// The parsing functions behind LinuxProcReader run on those bytes, then read_process_info() and
// the Classifier with a set of rules.
//
// Invariants:
//   - split_nul_separated() loses no byte: joining the items gives the content back, and a
//     content cut at a read cap loses exactly its incomplete last item;
//   - the Steam app id and PPid agree with small independent parsers of the same text;
//   - a verdict's reason matches it (games: steam-app-id, wine-exe, rule:...; others:
//     no-signal, excluded:...); only a Steam id, a Wine program or a rule make a game; an
//     exclude rule always wins; classification is deterministic.
#include "fuzz_check.h"
#include "games/classifier.h"
#include "games/game_rules.h"
#include "games/proc_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace scx_gamer;
using fuzz::require;

namespace {

constexpr pid_t kPid = 4242;
constexpr std::uint64_t kIncludedAppId = 1245620;
constexpr std::uint64_t kExcludedAppId = 228980;

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal digits as a number if it fits in `max`.
std::optional<std::uint64_t> decimal(std::string_view digits, std::uint64_t max) {
    if (!all_digits(digits))
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : digits) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// getenv() semantics: the first NAME= entry counts.
std::optional<std::uint64_t> reference_app_id(const std::vector<std::string>& environment) {
    for (const std::string_view name : {"SteamAppId", "SteamGameId"}) {
        const auto entry = std::find_if(environment.begin(), environment.end(), [&](const auto& e) {
            return std::string_view(e).starts_with(name) && e.size() > name.size() &&
                   e[name.size()] == '=';
        });
        if (entry == environment.end())
            continue;
        const auto id = decimal(std::string_view(*entry).substr(name.size() + 1), UINT64_MAX);
        if (id && *id != 0)
            return id;
    }
    return std::nullopt;
}

std::optional<pid_t> reference_ppid(std::string_view status) {
    const auto key = status.find("\nPPid:");
    if (key == std::string_view::npos)
        return std::nullopt;
    std::string_view value = status.substr(key + 6);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    // The first field: /proc ends it with a newline (PPid), or a tab before the next (Uid).
    value = value.substr(0, value.find_first_of("\n\t "));
    const auto ppid = decimal(value, static_cast<std::uint64_t>(INT32_MAX));
    return ppid ? std::optional(static_cast<pid_t>(*ppid)) : std::nullopt;
}

void check_split(const std::string& content) {
    const auto items = split_nul_separated(content, /*truncated=*/false);
    std::string joined;
    for (std::size_t i = 0; i < items.size(); ++i) {
        require(items[i].find('\0') == std::string::npos, "items hold no NUL");
        joined += (i == 0 ? "" : std::string(1, '\0')) + items[i];
    }
    if (content.ends_with('\0'))
        joined += '\0';
    require(joined == content, "joining the items gives the content back");

    auto complete = items;
    if (!content.empty() && !content.ends_with('\0'))
        complete.pop_back();
    require(split_nul_separated(content, /*truncated=*/true) == complete,
            "a cut content loses exactly its incomplete last item");
}

// /proc as the fuzz input describes it, parsed as LinuxProcReader parses the real files.
class InputProcReader final : public ProcReader {
  public:
    explicit InputProcReader(const std::vector<std::string>& parts) {
        const auto part = [&](std::size_t i) { return i < parts.size() ? parts[i] : ""; };
        comm_ = part(0);
        exe_ = part(1);
        cmdline_ = split_nul_separated(part(2), false);
        environment_ = split_nul_separated(part(3), false);
        parent_ = parse_status_ppid(part(4));
        owner_ = parse_status_uid(part(4));
    }
    std::optional<std::string> comm(pid_t) const override { return comm_; }
    std::optional<std::string> exe(pid_t) const override { return exe_; }
    std::optional<std::vector<std::string>> cmdline(pid_t) const override { return cmdline_; }
    std::optional<std::vector<std::string>> environment(pid_t) const override {
        return environment_;
    }
    std::optional<pid_t> parent(pid_t) const override { return parent_; }
    std::optional<uid_t> owner(pid_t) const override { return owner_; }

  private:
    std::string comm_;
    std::string exe_;
    std::vector<std::string> cmdline_;
    std::vector<std::string> environment_;
    std::optional<pid_t> parent_;
    std::optional<uid_t> owner_;
};

const Classifier& classifier() {
    static const Classifier instance(GameRules::parse(R"(
[include]
names = ["supertuxkart", "eldenring.exe"]
paths = ["/opt/games/*", "*/steamapps/common/*"]
steam_app_ids = [1245620]
[exclude]
names = ["launcher.exe", "unitycrashhandler64.exe"]
steam_app_ids = [228980]
)",
                                                      "games.toml"));
    return instance;
}

bool is_game_reason(std::string_view reason) {
    return reason == "steam-app-id" || reason == "wine-exe" || reason.starts_with("rule:");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fuzz::split(fuzz::as_text(data, size), '\x1e');
    for (const auto& part : parts)
        check_split(part);

    const InputProcReader reader(parts);
    const auto environment = *reader.environment(kPid);
    require(steam_app_id_from_environment(environment) == reference_app_id(environment),
            "the Steam app id is the first valid SteamAppId, else SteamGameId");
    if (parts.size() > 4)
        require(parse_status_ppid(parts[4]) == reference_ppid(parts[4]),
                "PPid is the decimal after \"PPid:\"");

    const auto info = read_process_info(reader, kPid);
    require(info.has_value(), "a process with a comm is read");
    require(!info->steam_app_id || *info->steam_app_id != 0, "a Steam app id is never 0");
    require(unix_style_path(wine_program_path(*info)).find('\\') == std::string::npos,
            "a Unix-style path has no backslash");

    const Verdict verdict = classifier().classify(*info);
    require(verdict == classifier().classify(*info), "classification is deterministic");
    require(verdict.is_game == is_game_reason(verdict.reason), "the reason matches the verdict");
    require(verdict.is_game || verdict.reason == "no-signal" ||
                verdict.reason.starts_with("excluded:"),
            "a non-game says why");
    require(!verdict.is_game || info->steam_app_id || info->is_wine ||
                verdict.reason.starts_with("rule:"),
            "only a Steam id, Wine or a rule make a game");
    if (info->steam_app_id == kExcludedAppId)
        require(verdict.reason.starts_with("excluded:rule:"), "an exclude rule wins");
    if (info->steam_app_id == kIncludedAppId)
        require(verdict.is_game || verdict.reason.starts_with("excluded:rule:"),
                "an include rule makes a game unless an exclude rule matches");
    return 0;
}
