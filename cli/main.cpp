// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl: talks to the scx_gamer daemon over D-Bus. Parsing and dispatch only; the commands
// are in commands.cpp, launch.cpp and agent.cpp, and flag validation is the daemon's.
#include "commands.h"
#include "daemon_client.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#ifndef SCX_GAMER_VERSION
#define SCX_GAMER_VERSION "unknown"
#endif

namespace {

using namespace scxgamerctl;

// One line on stderr for a failed call, never a stack trace.
int report_bus_error(const sdbus::Error& error) {
    if (means_not_running(error)) {
        std::fprintf(stderr, "%s\n", kNotRunningHint);
        return kExitNotRunning;
    }
    std::string message = error.getMessage();
    if (message.empty())
        message = error.getName();
    if (error.getName() == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
        message += " (run without --no-ask-password to authenticate)";
    std::fprintf(stderr, "scxgamerctl: %s\n", message.c_str());
    return kExitFailed;
}

int run(int argc, char** argv) {
    CLI::App app{"Control and watch scx_gamer, the gaming sched_ext scheduler.", "scxgamerctl"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("scxgamerctl ") + SCX_GAMER_VERSION,
                         "Print the version and exit");
    app.footer("Exit status: 0 ok, 1 refused or failed, 2 usage error, 3 scx_gamer not running.\n"
               "See scxgamerctl(1).");

    GlobalOptions options;
    bool no_ask_password = false;
    app.add_flag("--json", options.json, "Machine-readable JSON output (one object per line)");
    app.add_flag("--no-ask-password", no_ask_password,
                 "Do not let polkit ask for a password; fail instead");

    // Global options may also follow the command ("scxgamerctl status --json").
    auto add_command = [&app](const char* name, const char* description) {
        CLI::App* command = app.add_subcommand(name, description);
        command->fallthrough();
        return command;
    };

    CLI::App* status = add_command("status", "Show the scheduler state, profile, flags, current "
                                             "game and key statistics");

    constexpr const char* kPersistHelp =
        "Also save the result for scx_gamer's next start (in /etc/default/scx or "
        "/etc/default/scx_gamer; asks for an administrator)";
    std::string profile;
    bool persist = false;
    CLI::App* set_profile = add_command("set-profile", "Switch to a profile (see: profiles)");
    set_profile->add_option("NAME", profile, "Profile name")->required();
    set_profile->add_flag("--persist", persist, kPersistHelp);

    // apply-flags and launch take the rest of the command line verbatim (split off below), so
    // global options must come before them; apply-flags' own --persist comes right after it.
    CLI::App* apply_flags = app.add_subcommand(
        "apply-flags", "Apply scheduler flags as scx_gamer takes them: apply-flags [--persist] "
                       "[--] FLAGS...");
    apply_flags->add_flag("--persist", persist, kPersistHelp);

    CLI::App* profiles = add_command("profiles", "List the profiles and their flags");
    CLI::App* games = add_command("games", "List the processes treated as games");

    unsigned watch_seconds = 0;
    CLI::App* stats = add_command("stats", "Show the scheduler statistics");
    stats->add_option("--watch", watch_seconds, "Repeat every SECS seconds until Ctrl-C")
        ->option_text("SECS")
        ->check(CLI::Range(1u, 86400u));

    CLI::App* monitor = add_command("monitor", "Follow game and property changes until Ctrl-C");

    CLI::App* launch = app.add_subcommand(
        "launch", "Run a command, and every process it starts, as one registered game until it "
                  "exits: launch [--name NAME] [--] COMMAND [ARGS...]");
    std::string launch_name;
    launch
        ->add_option("--name", launch_name,
                     "How the game shows (notifications, games); default: the command's name")
        ->option_text("NAME");

    // learned list | show KEY | export KEY | delete KEY
    std::string learned_key;
    CLI::App* learned =
        add_command("learned", "List, show, export or delete the learned per-game profiles");
    learned->require_subcommand(1);
    std::vector<std::pair<std::string, CLI::App*>> learned_actions;
    for (const auto& [action, description] :
         {std::pair<const char*, const char*>{"list", "List the learned profiles"},
          {"show", "Show one learned profile and its evidence"},
          {"export", "Print a learned profile's file (TOML)"},
          {"delete", "Delete a learned profile; a running game goes back to the base profile"}}) {
        CLI::App* sub = learned->add_subcommand(action, description);
        sub->fallthrough();
        if (std::string_view{action} != "list")
            sub->add_option("KEY", learned_key, "Game key (see: learned list)")->required();
        learned_actions.emplace_back(action, sub);
    }

    bool no_notify = false;
    CLI::App* agent = add_command("agent", "Show desktop notifications when games start and exit");
    agent->add_flag("--no-notify", no_notify, "Do not notify (the agent then exits at once)");

    // The words after "launch" are the game's command line and those after "apply-flags" are the
    // scheduler's flags: both are taken verbatim. CLI11 would take their options for ours (and
    // reorder them), so they are split off before parsing; a leading "--" is optional.
    std::vector<std::string> verbatim_words;
    int parsed_argc = argc;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (!word.empty() && word.front() == '-')
            continue; // global options take no values, so the first other word is the command
        const bool takes_verbatim = word == "launch" || word == "apply-flags";
        int first = i + 1;
        // apply-flags' own option, which no scheduler flag is spelled like.
        while (word == "apply-flags" && first < argc &&
               std::string_view{argv[first]} == "--persist")
            ++first;
        // launch's own option.
        while (word == "launch" && first < argc) {
            const std::string_view option = argv[first];
            if (option == "--name" && first + 1 < argc)
                first += 2;
            else if (option.starts_with("--name="))
                ++first;
            else
                break;
        }
        const int own_words_end = first;
        const bool wants_help = first < argc && (std::string_view{argv[first]} == "--help" ||
                                                 std::string_view{argv[first]} == "-h");
        if (takes_verbatim && !wants_help) {
            const bool separated = first < argc && std::string_view{argv[first]} == "--";
            if (separated)
                ++first;
            else if (word == "launch" && first < argc && argv[first][0] == '-') {
                std::fprintf(stderr,
                             "scxgamerctl: launch: unknown option %s (put -- before a "
                             "command that starts with -)\n",
                             argv[first]);
                return kExitUsage;
            }
            verbatim_words.assign(argv + first, argv + argc);
            parsed_argc = own_words_end;
        }
        break;
    }

    try {
        app.parse(parsed_argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e); // prints help, version or the error
        return code == 0 ? kExitOk : kExitUsage;
    }
    options.ask_password = !no_ask_password;

    try {
        if (status->parsed())
            return cmd_status(options);
        if (set_profile->parsed())
            return cmd_set_profile(options, profile, persist);
        if (apply_flags->parsed()) {
            if (verbatim_words.empty()) {
                std::fprintf(stderr, "scxgamerctl: apply-flags needs flags, e.g. apply-flags -- "
                                     "--slice-us 5000\n"
                                     "Run with --help for more information.\n");
                return kExitUsage;
            }
            return cmd_apply_flags(options, verbatim_words, persist);
        }
        if (profiles->parsed())
            return cmd_profiles(options);
        if (games->parsed())
            return cmd_games(options);
        if (stats->parsed())
            return cmd_stats(options, watch_seconds);
        if (monitor->parsed())
            return cmd_monitor(options);
        if (launch->parsed()) {
            if (verbatim_words.empty()) {
                std::fprintf(stderr, "scxgamerctl: launch needs a command to run\n"
                                     "Run with --help for more information.\n");
                return kExitUsage;
            }
            return cmd_launch(options, verbatim_words, launch_name);
        }
        if (agent->parsed())
            return cmd_agent(options, no_notify);
        for (const auto& [action, sub] : learned_actions)
            if (sub->parsed())
                return cmd_learned(options, action, learned_key);
    } catch (const sdbus::Error& e) {
        return report_bus_error(e);
    }
    return kExitUsage;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scxgamerctl: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "scxgamerctl: unexpected error\n");
    }
    return kExitFailed;
}
