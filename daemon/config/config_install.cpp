// SPDX-License-Identifier: GPL-2.0-only
// Over 400 lines on purpose: `config install`/`uninstall` plan one transaction over
// /etc/default/scx, scx_loader's TOML and the install state; the plan, the state's text format
// and the status report share that state's invariants.
#include "config/config_install.h"

#include "config/default_scx.h"
#include "config/loader_toml.h"
#include "config/persist.h"
#include "config/text_diff.h"
#include "util/error.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <utility>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;

constexpr int kStateFormat = 1;
// scx-scheds' own default in the shipped /etc/default/scx: the fallback when uninstall finds
// scx_gamer selected and nothing else to go back to.
constexpr std::string_view kStockScheduler = "scx_cosmos";

// %-escapes '%' and control bytes so that any line fits on one state line.
std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '%' || byte < 0x20 || byte == 0x7f) {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", byte);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

std::string unescape(std::string_view text, const std::string& source_name) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
        if (high < 0 || low < 0)
            throw Error(source_name + ": bad %-escape in " + std::string(text));
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

// Turns "/tmp/root/etc/x" back into "/etc/x" for the state file: it describes the target system.
std::string path_in_root(const fs::path& path, const fs::path& root) {
    return "/" + path.lexically_relative(root).generic_string();
}

fs::path under_root(const fs::path& root, const std::string& absolute) {
    return root / fs::path(absolute).relative_path();
}

std::optional<InstallState> read_install_state(const fs::path& root) {
    const fs::path path = install_state_path(root);
    const auto text = read_config_file(path);
    if (!text)
        return std::nullopt;
    return InstallState::parse(*text, path.string());
}

bool is_etc_file(const fs::path& path, const fs::path& root) {
    const auto paths = loader_config_paths(root);
    return path == paths[0] || path == paths[1];
}

// --- /etc/default/scx ---

void activate(DefaultScxFile& file, const InstallOptions& options, InstallState& state) {
    if (!options.profiles.find(options.profile))
        throw Error("cannot activate scx_gamer with profile '" + options.profile +
                    "': no such profile");
    if (file.scheduler() != kGamerSchedulerName && !state.activated) {
        state.activated = true;
        state.previous_scheduler_line = file.assignment_line(ScxVariable::Scheduler);
        state.previous_flags_line = file.assignment_line(ScxVariable::Flags);
    }
    file.set_scheduler(kGamerSchedulerName);
    // scx.service runs `scx_gamer $SCX_FLAGS`: the same words `--persist` saves (persist.h), so
    // either can read back what the other wrote.
    const DaemonCommandLine command_line{options.profile, options.scx_flags, {}, {}};
    file.set_value(ScxVariable::Flags, command_line.to_command_line());
}

void plan_default_scx_install(const InstallOptions& options, InstallState& state,
                              ConfigPlan& plan) {
    const fs::path path = default_scx_path(options.root);
    const auto text = read_config_file(path);
    if (!text) {
        if (options.activate)
            throw Error("cannot activate scx_gamer: " + path.string() +
                        " does not exist (scx.service from scx-scheds is not installed)");
        plan.notes.push_back(path.string() + " does not exist (scx.service is not installed); "
                                             "left alone");
        return;
    }
    DefaultScxFile file(*text);
    const auto scheduler = file.scheduler();
    if (!state.scheduler_before_install && scheduler && *scheduler != kGamerSchedulerName &&
        is_valid_scheduler_name(*scheduler)) {
        state.scheduler_before_install = scheduler;
        state.flags_before_install_recorded = true;
        state.flags_line_before_install = file.assignment_line(ScxVariable::Flags);
    }
    if (!file.add_listed_scheduler(kGamerSchedulerName) && !file.listed_schedulers())
        plan.notes.push_back(path.string() + " has no \"# List of scx_schedulers:\" comment; "
                                             "none added");
    try {
        if (options.activate)
            activate(file, options, state);
    } catch (const Error& e) {
        throw Error(path.string() + ": " + e.what());
    }
    plan.changes.push_back({path, text, file.text()});
}

// The scheduler to go back to when activation left no exact record (SCX_SCHEDULER=scx_gamer was
// set by hand): the one selected at install time, else the first other listed one, else the
// stock default.
std::string fallback_scheduler(const DefaultScxFile& file,
                               const std::optional<InstallState>& state) {
    if (state && state->scheduler_before_install)
        return *state->scheduler_before_install;
    const auto listed = file.listed_schedulers().value_or(std::vector<std::string>{});
    auto other = std::find_if(listed.begin(), listed.end(), [](const std::string& name) {
        return name != kGamerSchedulerName && is_valid_scheduler_name(name);
    });
    return other != listed.end() ? *other : std::string(kStockScheduler);
}

// Whether SCX_FLAGS, found beside SCX_SCHEDULER=scx_gamer that install did not set, still holds
// the flags of the scheduler from before install (a GUI switched only SCX_SCHEDULER): then they
// stay as they are. Without a record, flags scx_gamer would not accept are someone else's too.
bool holds_other_schedulers_flags(const DefaultScxFile& file,
                                  const std::optional<InstallState>& state) {
    const auto flags = file.flags();
    if (!flags)
        return true; // nothing to drop
    if (state && state->flags_before_install_recorded) {
        const DefaultScxFile before(state->flags_line_before_install.value_or(""));
        return before.flags() == flags;
    }
    try {
        std::vector<std::string> words;
        std::string word;
        for (char c : *flags + " ") {
            if (c == ' ' || c == '\t') {
                if (!word.empty())
                    words.push_back(std::exchange(word, {}));
            } else {
                word += c;
            }
        }
        parse_flags(words);
        return false; // scx_gamer's own
    } catch (const Error&) {
        return true;
    }
}

// Puts back the exact lines activation replaced, or else switches to fallback_scheduler().
void deactivate(DefaultScxFile& file, const std::optional<InstallState>& state,
                const fs::path& path, ConfigPlan& plan) {
    if (file.scheduler() != kGamerSchedulerName)
        return;
    if (state && state->activated) {
        const DefaultScxFile previous(state->previous_scheduler_line.value_or(""));
        if (previous.scheduler() != kGamerSchedulerName) {
            file.restore_assignment_line(ScxVariable::Scheduler, state->previous_scheduler_line);
            file.restore_assignment_line(ScxVariable::Flags, state->previous_flags_line);
            return;
        }
    }
    const std::string fallback = fallback_scheduler(file, state);
    const bool keep_flags = holds_other_schedulers_flags(file, state);
    file.set_scheduler(fallback);
    plan.notes.push_back(path.string() +
                         ": SCX_SCHEDULER=scx_gamer was not set by install; set to " + fallback);
    if (keep_flags) {
        if (file.flags())
            plan.notes.push_back(path.string() + ": SCX_FLAGS kept (" + fallback + "'s flags)");
        return;
    }
    // scx_gamer's flags mean nothing to another scheduler: back to the line from before install,
    // or no flags at all when nothing was recorded.
    if (state && state->flags_before_install_recorded)
        file.restore_assignment_line(ScxVariable::Flags, state->flags_line_before_install);
    else
        file.set_flags(FlagValues{});
    plan.notes.push_back(path.string() + ": scx_gamer's SCX_FLAGS dropped");
}

void plan_default_scx_uninstall(const fs::path& root, const std::optional<InstallState>& state,
                                ConfigPlan& plan) {
    const fs::path path = default_scx_path(root);
    const auto text = read_config_file(path);
    if (!text)
        return;
    DefaultScxFile file(*text);
    file.remove_listed_scheduler(kGamerSchedulerName);
    try {
        deactivate(file, state, path, plan);
    } catch (const Error& e) {
        throw Error(path.string() + ": " + e.what());
    }
    plan.changes.push_back({path, text, file.text()});
}

// --- scx_loader's TOML ---

struct LoaderTarget {
    fs::path path;                   // the file to edit
    std::optional<std::string> text; // its content (nullopt: to be created)
    std::string base;                // the content our section is added to
};

LoaderTarget choose_loader_target(const fs::path& root, ConfigPlan& plan) {
    const auto read_by_loader = find_loader_config(root);
    if (read_by_loader && is_etc_file(*read_by_loader, root)) {
        auto text = read_config_file(*read_by_loader);
        return {*read_by_loader, text, text.value_or("")};
    }
    const fs::path created = created_loader_toml_path(root);
    if (!read_by_loader) {
        plan.notes.push_back("no scx_loader config file exists; creating " + created.string() +
                             " with only the scx_gamer profiles");
        return {created, std::nullopt, ""};
    }
    plan.notes.push_back("scx_loader reads " + read_by_loader->string() +
                         " (a packaged file, never edited); it reads only the first file it "
                         "finds, so " +
                         created.string() + " is created as a copy of it plus our profiles");
    return {created, std::nullopt, read_config_file(*read_by_loader).value_or("")};
}

void warn_about_existing_section(const fs::path& path, const std::string& text, ConfigPlan& plan) {
    plan.notes.push_back(path.string() + " already has [scheds.scx_gamer]; left as it is");
    for (const auto& warning : profiles_from_loader_toml(text, path.string()).warnings)
        plan.notes.push_back("warning: " + warning);
}

void plan_loader_install(const InstallOptions& options, InstallState& state, ConfigPlan& plan) {
    const fs::path& root = options.root;
    // A vendor file that already carries our section (a patched scx_loader package) needs no
    // /etc copy: check the file scx_loader reads before choosing where to write.
    if (const auto read_by_loader = find_loader_config(root)) {
        const std::string text = read_config_file(*read_by_loader).value_or("");
        if (has_gamer_section(text, read_by_loader->string())) {
            warn_about_existing_section(*read_by_loader, text, plan);
            return;
        }
    }
    LoaderTarget target = choose_loader_target(root, plan);
    const std::string edited =
        set_gamer_profiles(target.base, mode_profiles(options.profiles), target.path.string());
    state.loader_toml = path_in_root(target.path, root);
    state.loader_section_added = true;
    state.loader_final_newline_added = lacks_final_newline(target.base);
    state.loader_toml_created = !target.text.has_value();
    state.loader_toml_created_hash = state.loader_toml_created ? content_hash(target.base) : 0;
    plan.changes.push_back({target.path, target.text, edited});
}

// The file holding our section: the one the state names, else the first /etc file with it.
std::optional<fs::path> loader_file_to_clean(const fs::path& root,
                                             const std::optional<InstallState>& state) {
    if (state && state->loader_toml)
        return under_root(root, *state->loader_toml);
    const auto paths = loader_config_paths(root);
    for (std::size_t i = 0; i < 2; ++i) {
        if (fs::exists(paths[i]))
            return paths[i];
    }
    return std::nullopt;
}

void plan_loader_uninstall(const fs::path& root, const std::optional<InstallState>& state,
                           ConfigPlan& plan) {
    const auto path = loader_file_to_clean(root, state);
    if (!path)
        return;
    const auto text = read_config_file(*path);
    if (!text)
        return;
    const bool ours = state && state->loader_section_added;
    if (!ours && !has_our_gamer_section(*text, path->string())) {
        if (has_gamer_section(*text, path->string()))
            plan.notes.push_back(path->string() + ": [scheds.scx_gamer] was not added by "
                                                  "install; left in place");
        return;
    }
    std::optional<std::string> edited =
        remove_gamer_section(*text, path->string(), state && state->loader_final_newline_added);
    // A file install created goes away again, unless someone has changed it since.
    if (state && state->loader_toml_created &&
        content_hash(*edited) == state->loader_toml_created_hash)
        edited.reset();
    plan.changes.push_back({*path, text, edited});
}

void plan_state_write(const fs::path& root, const InstallState& state, ConfigPlan& plan) {
    const fs::path path = install_state_path(root);
    plan.changes.push_back({path, read_config_file(path), state.format(), /*backup=*/false});
}

} // namespace

fs::path default_scx_path(const fs::path& root) {
    return root / "etc/default/scx";
}

fs::path install_state_path(const fs::path& root) {
    return root / "var/lib/scx_gamer/install-state";
}

fs::path created_loader_toml_path(const fs::path& root) {
    return loader_config_paths(root)[1];
}

std::uint64_t content_hash(std::string_view content) {
    std::uint64_t hash = 14695981039346656037ull;
    for (char c : content) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string InstallState::format() const {
    std::string out = "# Written by `scx_gamer config install`, read by `scx_gamer config "
                      "uninstall` to undo it exactly. Do not edit.\n";
    out += "format=" + std::to_string(kStateFormat) + "\n";
    out += "activated=" + yes_no(activated) + "\n";
    if (activated && previous_scheduler_line)
        out += "previous_scheduler_line=" + escape(*previous_scheduler_line) + "\n";
    if (activated && previous_flags_line)
        out += "previous_flags_line=" + escape(*previous_flags_line) + "\n";
    if (scheduler_before_install)
        out += "scheduler_before_install=" + *scheduler_before_install + "\n";
    if (flags_before_install_recorded) {
        out += "flags_before_install_recorded=yes\n";
        if (flags_line_before_install)
            out += "flags_line_before_install=" + escape(*flags_line_before_install) + "\n";
    }
    if (!mode.empty())
        out += "mode=" + mode + "\n";
    if (units_before.recorded) {
        out += "loader_was_enabled=" + yes_no(units_before.loader_enabled) + "\n";
        out += "loader_was_active=" + yes_no(units_before.loader_active) + "\n";
        out += "scx_was_enabled=" + yes_no(units_before.scx_enabled) + "\n";
        out += "scx_was_active=" + yes_no(units_before.scx_active) + "\n";
    }
    if (loader_toml) {
        out += "loader_toml=" + escape(*loader_toml) + "\n";
        out += "loader_section_added=" + yes_no(loader_section_added) + "\n";
        out += "loader_final_newline_added=" + yes_no(loader_final_newline_added) + "\n";
        out += "loader_toml_created=" + yes_no(loader_toml_created) + "\n";
        if (loader_toml_created) {
            char hex[17];
            std::snprintf(hex, sizeof hex, "%016llx",
                          static_cast<unsigned long long>(loader_toml_created_hash));
            out += std::string("loader_toml_created_hash=") + hex + "\n";
        }
    }
    return out;
}

InstallState InstallState::parse(std::string_view text, const std::string& source_name) {
    std::map<std::string, std::string> values;
    std::size_t line_number = 0;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_number;
        if (line.empty() || line.front() == '#')
            continue;
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos)
            throw Error(source_name + ":" + std::to_string(line_number) + ": expected key=value");
        values[std::string(line.substr(0, equals))] =
            unescape(line.substr(equals + 1), source_name);
    }
    if (values["format"] != std::to_string(kStateFormat))
        throw Error(source_name + ": unknown format " + values["format"] +
                    " (written by another version of scx_gamer?)");
    auto optional_value = [&](const std::string& key) -> std::optional<std::string> {
        auto it = values.find(key);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    InstallState state;
    state.activated = values["activated"] == "yes";
    state.previous_scheduler_line = optional_value("previous_scheduler_line");
    state.previous_flags_line = optional_value("previous_flags_line");
    state.scheduler_before_install = optional_value("scheduler_before_install");
    if (state.scheduler_before_install && !is_valid_scheduler_name(*state.scheduler_before_install))
        throw Error(source_name + ": invalid scheduler_before_install");
    state.flags_before_install_recorded = values["flags_before_install_recorded"] == "yes";
    state.flags_line_before_install = optional_value("flags_line_before_install");
    if (state.flags_line_before_install &&
        (!state.flags_before_install_recorded ||
         state.flags_line_before_install->find_first_of("\r\n") != std::string::npos))
        throw Error(source_name + ": invalid flags_line_before_install");
    state.mode = values["mode"];
    if (!state.mode.empty() && !parse_install_mode(state.mode))
        throw Error(source_name + ": unknown mode " + state.mode);
    if (values.contains("loader_was_enabled")) {
        state.units_before.recorded = true;
        state.units_before.loader_enabled = values["loader_was_enabled"] == "yes";
        state.units_before.loader_active = values["loader_was_active"] == "yes";
        state.units_before.scx_enabled = values["scx_was_enabled"] == "yes";
        state.units_before.scx_active = values["scx_was_active"] == "yes";
    }
    state.loader_toml = optional_value("loader_toml");
    state.loader_section_added = values["loader_section_added"] == "yes";
    state.loader_final_newline_added = values["loader_final_newline_added"] == "yes";
    state.loader_toml_created = values["loader_toml_created"] == "yes";
    if (state.loader_toml && !state.loader_toml->starts_with("/"))
        throw Error(source_name + ": loader_toml must be an absolute path");
    if (state.loader_toml_created) {
        const std::string& hex = values["loader_toml_created_hash"];
        const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(),
                                                  state.loader_toml_created_hash, 16);
        if (hex.empty() || error != std::errc{} || end != hex.data() + hex.size())
            throw Error(source_name + ": bad loader_toml_created_hash " + hex);
    }
    return state;
}

bool ConfigPlan::changes_anything() const {
    return std::any_of(changes.begin(), changes.end(),
                       [](const FileChange& change) { return change.changes_anything(); });
}

ConfigPlan plan_install(const InstallOptions& options) {
    ConfigPlan plan;
    InstallState state = read_install_state(options.root).value_or(InstallState{});
    if (options.mode) {
        // A mode that stopped or restarted a unit keeps the record of how the units were before
        // it did: a later install sees them as that mode left them.
        const auto previous = parse_install_mode(state.mode);
        const bool changed_units = previous && (*previous == InstallMode::ReplaceLoader ||
                                                *previous == InstallMode::ScxService);
        if (!changed_units || !state.units_before.recorded)
            state.units_before = options.units_before;
        state.mode = install_mode_name(*options.mode);
    }
    plan_default_scx_install(options, state, plan);
    plan_loader_install(options, state, plan);
    plan_state_write(options.root, state, plan);
    return plan;
}

ConfigPlan plan_uninstall(const fs::path& root) {
    ConfigPlan plan;
    const auto state = read_install_state(root);
    plan_default_scx_uninstall(root, state, plan);
    plan_loader_uninstall(root, state, plan);
    const fs::path state_path = install_state_path(root);
    plan.changes.push_back({state_path, read_config_file(state_path), std::nullopt, false});
    return plan;
}

std::string describe_plan(const ConfigPlan& plan) {
    std::string out;
    for (const auto& change : plan.changes) {
        if (!change.changes_anything())
            continue;
        const std::string path = change.path.string();
        out += unified_diff(change.before.value_or(""), change.after.value_or(""),
                            change.before ? path : "/dev/null", change.after ? path : "/dev/null");
    }
    return out;
}

ConfigStatus read_config_status(const fs::path& root) {
    ConfigStatus status;
    if (const auto text = read_config_file(default_scx_path(root))) {
        const DefaultScxFile file(*text);
        status.scx_scheduler = file.scheduler();
        status.scx_flags = file.flags();
        const auto listed = file.listed_schedulers().value_or(std::vector<std::string>{});
        status.listed =
            std::find(listed.begin(), listed.end(), kGamerSchedulerName) != listed.end();
    }
    status.loader_toml = find_loader_config(root);
    status.profiles = load_profiles(root);
    if (status.loader_toml) {
        try {
            status.loader_section = has_gamer_section(
                read_config_file(*status.loader_toml).value_or(""), status.loader_toml->string());
        } catch (const Error&) {
            // reported in profiles.warnings already
        }
    }
    status.installed = fs::exists(install_state_path(root));
    if (const auto state = read_install_state(root)) {
        status.mode = state->mode;
        status.units_before = state->units_before;
    }
    return status;
}

std::string format_config_status(const ConfigStatus& status) {
    std::string out;
    out += "scx_scheduler=" + status.scx_scheduler.value_or("") + "\n";
    out += "scx_flags=" + status.scx_flags.value_or("") + "\n";
    out += "listed=" + yes_no(status.listed) + "\n";
    out += "loader_toml=" + (status.loader_toml ? status.loader_toml->string() : "") + "\n";
    out += "loader_section=" + yes_no(status.loader_section) + "\n";
    out += "installed=" + yes_no(status.installed) + "\n";
    out += "mode=" + status.mode + "\n";
    if (status.units_before.recorded) {
        out += "loader_was_enabled=" + yes_no(status.units_before.loader_enabled) + "\n";
        out += "loader_was_active=" + yes_no(status.units_before.loader_active) + "\n";
        out += "scx_was_enabled=" + yes_no(status.units_before.scx_enabled) + "\n";
        out += "scx_was_active=" + yes_no(status.units_before.scx_active) + "\n";
    }
    for (const auto& [name, flags] : status.profiles.profiles.listing()) {
        out += "profile." + name + "=";
        for (std::size_t i = 0; i < flags.size(); ++i)
            out += (i == 0 ? "" : " ") + flags[i];
        out += "\n";
    }
    for (const auto& warning : status.profiles.warnings)
        out += "warning=" + escape(warning) + "\n";
    return out;
}

} // namespace scx_gamer
