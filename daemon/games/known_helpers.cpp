// SPDX-License-Identifier: GPL-2.0-only
#include "games/known_helpers.h"

#include "util/text.h"

#include <algorithm>
#include <array>

namespace scx_gamer {
namespace {

// Every program scx_gamer knows is not a game. The third field: it does not inherit the class of
// the game that starts it (docs/games.md, "Process trees"). Patterns are shell globs,
// case-insensitive, and are matched against program basenames: comm, the exe's basename, argv[0]'s
// basename; for Wine processes, the .exe's basename only (so "wine*" here would not hide Wine
// games).
constexpr std::array kKnownHelpers{
    // Steam client and its web/UI processes.
    KnownHelper{"steam", "launcher", true},
    KnownHelper{"steam.sh", "launcher", true},
    KnownHelper{"steamwebhelper", "launcher", true},
    KnownHelper{"steamerrorreporter*", "launcher", true},
    KnownHelper{"gameoverlayui*", "overlay", true},
    // Steam's launch chain: the reaper, the container runtime, shader pre-compilation.
    KnownHelper{"reaper", "steam-runtime"},
    KnownHelper{"pressure-vessel*", "steam-runtime"},
    KnownHelper{"pv-*", "steam-runtime"},
    KnownHelper{"srt-*", "steam-runtime"},
    KnownHelper{"steam-runtime-*", "steam-runtime"},
    KnownHelper{"steam-launch-wrapper", "steam-runtime"},
    KnownHelper{"_v2-entry-point", "steam-runtime"},
    KnownHelper{"bwrap", "steam-runtime"},
    KnownHelper{"fossilize_replay", "steam-runtime", true},
    KnownHelper{"vulkandriverquery*", "steam-runtime", true},
    KnownHelper{"gldriverquery*", "steam-runtime", true},
    KnownHelper{"gamescope*", "wrapper"},
    // Shells and interpreters running launch scripts (proton itself is a Python script).
    KnownHelper{"sh", "shell"},
    KnownHelper{"bash", "shell"},
    KnownHelper{"dash", "shell"},
    KnownHelper{"zsh", "shell"},
    KnownHelper{"fish", "shell"},
    KnownHelper{"ksh", "shell"},
    KnownHelper{"busybox", "shell"},
    KnownHelper{"python*", "interpreter"},
    KnownHelper{"perl*", "interpreter"},
    KnownHelper{"env", "interpreter"},
    KnownHelper{"ruby*", "interpreter"},
    KnownHelper{"lua", "interpreter"},
    KnownHelper{"lua5.*", "interpreter"},
    KnownHelper{"luajit", "interpreter"},
    // Crash reporters that live as long as the game.
    KnownHelper{"*crashhandler*", "crash-handler", true},
    KnownHelper{"*crashreport*", "crash-handler", true},
    KnownHelper{"crashpad_handler*", "crash-handler", true},
    // Wine's own services and tools.
    KnownHelper{"wineserver", "wine-system"},
    KnownHelper{"explorer.exe", "wine-system", true},
    KnownHelper{"services.exe", "wine-system", true},
    KnownHelper{"winedevice.exe", "wine-system", true},
    KnownHelper{"plugplay.exe", "wine-system", true},
    KnownHelper{"svchost.exe", "wine-system", true},
    KnownHelper{"rpcss.exe", "wine-system", true},
    KnownHelper{"conhost.exe", "wine-system"},
    KnownHelper{"start.exe", "wine-system"},
    KnownHelper{"wineboot.exe", "wine-system"},
    KnownHelper{"winemenubuilder.exe", "wine-system", true},
    KnownHelper{"rundll32.exe", "wine-system"},
    KnownHelper{"cmd.exe", "wine-system"},
    KnownHelper{"tabtip.exe", "wine-system"},
    KnownHelper{"msiexec.exe", "wine-system", true},
    KnownHelper{"mscorsvw.exe", "wine-system", true},
    KnownHelper{"steam.exe", "wine-system"}, // Proton's stand-in for the Steam client
    // Store launchers and installers run under Wine.
    KnownHelper{"battle.net*.exe", "launcher", true},
    KnownHelper{"epicgameslauncher.exe", "launcher", true},
    KnownHelper{"epicwebhelper.exe", "launcher", true},
    KnownHelper{"galaxyclient*.exe", "launcher", true},
    KnownHelper{"upc.exe", "launcher", true},
    KnownHelper{"ubisoftconnect.exe", "launcher", true},
    KnownHelper{"uplaywebcore.exe", "launcher", true},
    KnownHelper{"eadesktop.exe", "launcher", true},
    KnownHelper{"eabackgroundservice.exe", "launcher", true},
    KnownHelper{"rockstarservice.exe", "launcher", true},
    KnownHelper{"socialclubhelper.exe", "launcher", true},
    KnownHelper{"iscriptevaluator.exe", "installer", true},
    KnownHelper{"unins*.exe", "installer", true},
    KnownHelper{"vc_redist*.exe", "installer", true},
    KnownHelper{"vcredist*.exe", "installer", true},
    KnownHelper{"dxsetup.exe", "installer", true},
    KnownHelper{"dotnet*.exe", "installer", true},
    // Anti-cheat services and bootstrappers.
    KnownHelper{"start_protected_game.exe", "anti-cheat"},
    KnownHelper{"easyanticheat*.exe", "anti-cheat"},
    KnownHelper{"beservice*.exe", "anti-cheat"},
};

constexpr std::array<std::string_view, 13> kSystemProgramDirs = {
    "/bin/",     "/sbin/",      "/usr/bin/",   "/usr/sbin/", "/usr/libexec/",
    "/usr/lib/", "/usr/lib32/", "/usr/lib64/", "/lib/",      "/lib32/",
    "/lib64/",   "/usr/share/", "/run/host/", // the host's /usr inside Steam's container
};

constexpr std::string_view kWindowsSystemDir = "c:\\windows\\";

} // namespace

std::span<const KnownHelper> known_helpers() {
    return kKnownHelpers;
}

const KnownHelper* find_known_helper(std::string_view program_name) {
    const auto it = std::find_if(kKnownHelpers.begin(), kKnownHelpers.end(), [&](const auto& h) {
        return glob_match(h.pattern, program_name, true);
    });
    return it == kKnownHelpers.end() ? nullptr : &*it;
}

std::span<const std::string_view> system_program_dirs() {
    return kSystemProgramDirs;
}

bool is_in_system_dir(std::string_view exe_path) {
    return std::any_of(kSystemProgramDirs.begin(), kSystemProgramDirs.end(),
                       [&](std::string_view dir) { return exe_path.starts_with(dir); });
}

bool is_windows_system_program(std::string_view windows_path) {
    if (windows_path.size() <= kWindowsSystemDir.size())
        return false;
    std::string prefix = to_lower_ascii(windows_path.substr(0, kWindowsSystemDir.size()));
    std::replace(prefix.begin(), prefix.end(), '/', '\\');
    return prefix == kWindowsSystemDir;
}

} // namespace scx_gamer
