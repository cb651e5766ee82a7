// SPDX-License-Identifier: GPL-2.0-only
#include "config_cli.h"

#include "config/config_install.h"
#include "doctor_cli.h"
#include "system/integration.h"
#include "tuning/flags.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace scx_gamer {
namespace {

constexpr int kExitDone = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

class UsageError : public Error {
  public:
    using Error::Error;
};

// Flag values never contain blanks (see flags.h), so splitting on blanks loses nothing.
std::vector<std::string> split_on_blanks(const std::string& text) {
    std::istringstream input(text);
    std::vector<std::string> words;
    for (std::string word; input >> word;)
        words.push_back(word);
    return words;
}

void add_root_option(CLI::App& command, std::string& root) {
    command.add_option("--root", root, "Operate on the system installed under DIR")
        ->type_name("DIR")
        ->capture_default_str();
}

void print_notes(const ConfigPlan& plan) {
    for (const auto& note : plan.notes)
        std::cout << "scx_gamer: " << note << "\n";
}

int execute(const ConfigPlan& plan, bool dry_run) {
    print_notes(plan);
    if (dry_run) {
        std::cout << describe_plan(plan);
        if (!plan.changes_anything())
            std::cout << "scx_gamer: nothing to change\n";
        return kExitDone;
    }
    if (!plan.changes_anything()) {
        std::cout << "scx_gamer: nothing to change\n";
        return kExitDone;
    }
    const AppliedChanges applied =
        apply_file_changes(plan.changes, install_fail_after_from_environment());
    for (const auto& path : applied.changed)
        std::cout << "scx_gamer: changed " << path.string() << "\n";
    for (const auto& path : applied.backups)
        std::cout << "scx_gamer: backup " << path.string() << "\n";
    return kExitDone;
}

} // namespace

std::optional<std::size_t> install_fail_after_from_environment() {
    const char* text = std::getenv("SCX_GAMER_INSTALL_FAIL_AFTER");
    if (text == nullptr || *text == '\0')
        return std::nullopt;
    std::size_t count = 0;
    const char* end = text + std::char_traits<char>::length(text);
    if (auto [last, error] = std::from_chars(text, end, count); error != std::errc{} || last != end)
        return std::nullopt;
    return count;
}

ConfigCommands::ConfigCommands(CLI::App& app) {
    config_ = app.add_subcommand(
        "config", "Register scx_gamer with scx.service and scx_loader, or take it out again "
                  "(INSTALL.sh and UNINSTALL.sh run these)");
    config_->require_subcommand(1);

    install_ = config_->add_subcommand(
        "install", "Add scx_gamer to /etc/default/scx's scheduler list and its profiles to "
                   "scx_loader's TOML (backups are kept; running it again changes nothing)");
    add_root_option(*install_, root_);
    install_->add_flag("--activate", activate_,
                       "Also make scx.service run scx_gamer (SCX_SCHEDULER=scx_gamer)");
    install_
        ->add_option("--scx-flags", scx_flags_,
                     "With --activate: scx_gamer flags for SCX_FLAGS, e.g. \"--slice-us 2000\"")
        ->type_name("FLAGS");
    install_
        ->add_option("--profile", profile_,
                     "With --activate: the profile scx.service starts scx_gamer with")
        ->capture_default_str()
        ->type_name("NAME");
    install_
        ->add_option("--mode", mode_,
                     "Record how INSTALL.sh sets scx_gamer up (companion, replace-loader, "
                     "scx-service, own, manual) and the scx_loader/scx.service states it found, "
                     "for uninstall; scx-service implies --activate")
        ->type_name("MODE");
    install_->add_flag("--dry-run", dry_run_,
                       "Print the changes as a unified diff; change nothing");

    uninstall_ = config_->add_subcommand(
        "uninstall", "Undo install: restore the previous SCX_SCHEDULER, remove scx_gamer from the "
                     "list and [scheds.scx_gamer] from scx_loader's TOML");
    add_root_option(*uninstall_, root_);
    uninstall_->add_flag("--dry-run", dry_run_,
                         "Print the changes as a unified diff; change nothing");

    status_ = config_->add_subcommand(
        "status", "Print the scheduler configuration as key=value lines, with profile warnings");
    add_root_option(*status_, root_);

    detect_ = config_->add_subcommand(
        "detect", "Print which service manages sched_ext here (manager=), the mode that fits it "
                  "(default_mode=), the installed one (installed_mode=) and the one to use "
                  "(mode=: --mode, else the installed one, else the default); exit 1 if that "
                  "mode cannot be set up beside what runs");
    add_root_option(*detect_, root_);
    detect_->add_option("--mode", mode_, "The mode asked for")->type_name("MODE");

    validate_flags_ = config_->add_subcommand(
        "validate-flags", "Check scx_gamer flags and print them in canonical form (exit 2 and a "
                          "message naming the flag if one is invalid)");
    // Everything after the subcommand is a flag to check, not an option of ours.
    validate_flags_->allow_extras();
    validate_flags_->prefix_command();
}

bool ConfigCommands::selected() const {
    return config_->parsed();
}

int ConfigCommands::run() const {
    try {
        if (install_->parsed())
            return run_install();
        if (uninstall_->parsed())
            return run_uninstall();
        if (status_->parsed())
            return run_status();
        if (detect_->parsed())
            return run_detect();
        if (validate_flags_->parsed())
            return run_validate_flags();
        std::cerr << config_->help();
        return kExitUsage;
    } catch (const FlagError& e) {
        std::cerr << "scx_gamer: " << e.what() << "\n";
        return kExitUsage;
    } catch (const UsageError& e) {
        std::cerr << "scx_gamer: " << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "scx_gamer: " << e.what() << "\n";
        return kExitFailure;
    }
}

std::optional<InstallMode> ConfigCommands::asked_mode() const {
    if (mode_.empty())
        return std::nullopt;
    const auto mode = parse_install_mode(mode_);
    if (!mode)
        throw UsageError("unknown mode '" + mode_ +
                         "' (companion, replace-loader, scx-service, own, manual)");
    return mode;
}

int ConfigCommands::run_install() const {
    InstallOptions options;
    options.root = root_;
    options.activate = activate_;
    options.mode = asked_mode();
    if (options.mode) {
        if (activate_ && *options.mode != InstallMode::ScxService)
            throw UsageError("--activate is --mode scx-service; it does not go with --mode " +
                             mode_);
        options.activate = *options.mode == InstallMode::ScxService;
    }
    if (install_->count("--profile") > 0 && !options.activate)
        throw UsageError("--profile only applies with --activate (--mode scx-service)");
    options.profile = profile_;
    if (!scx_flags_.empty()) {
        if (!options.activate)
            throw UsageError("--scx-flags only applies with --activate (--mode scx-service)");
        options.scx_flags = parse_flags(split_on_blanks(scx_flags_));
    }
    if (options.mode) // read before INSTALL.sh changes any unit
        options.units_before = units_before(gather_manager_facts(root_));
    return execute(plan_install(options), dry_run_);
}

int ConfigCommands::run_uninstall() const {
    const int status = execute(plan_uninstall(root_), dry_run_);
    if (!dry_run_) // /var/lib/scx_gamer, if nothing else (INSTALL.sh's manifest) is left in it
        ::rmdir(install_state_path(root_).parent_path().c_str());
    return status;
}

int ConfigCommands::run_status() const {
    std::cout << format_config_status(read_config_status(root_));
    return kExitDone;
}

int ConfigCommands::run_detect() const {
    const ManagerFacts facts = gather_manager_facts(root_);
    const Manager manager = detect_manager(facts);
    std::string installed;
    try {
        installed = read_config_status(root_).mode;
    } catch (const Error&) {
        // an unreadable record: as if none
    }
    const auto asked = asked_mode();
    const InstallMode mode =
        asked ? *asked : parse_install_mode(installed).value_or(default_mode(manager));
    std::cout << "manager=" << manager_name(manager) << "\n"
              << "default_mode=" << install_mode_name(default_mode(manager)) << "\n"
              << "installed_mode=" << installed << "\n"
              << "mode=" << install_mode_name(mode) << "\n";
    // A mode already set up is not judged by the system it changed (replace-loader stopped
    // scx_loader, so scx_loader no longer manages anything).
    if (install_mode_name(mode) != installed) {
        if (const auto conflict = mode_conflict(mode, facts)) {
            std::cerr << "scx_gamer: " << *conflict << "\n";
            return kExitFailure;
        }
    }
    return kExitDone;
}

int ConfigCommands::run_validate_flags() const {
    std::cout << to_command_line(parse_flags(validate_flags_->remaining())) << "\n";
    return kExitDone;
}

} // namespace scx_gamer
