// SPDX-License-Identifier: GPL-2.0-only
// /etc/default/scx: the input is the whole file. It is read, then edited the way
// `scx_gamer config install --activate` and `uninstall` edit it (config_install.cpp), on the
// same object, checking after each step.
//
// Invariants:
//   - text() of an unedited file is byte-identical to the input;
//   - reading never throws; assignment_line(v) is one line that alone gives the same value();
//   - set_scheduler(x) -> scheduler() == x, also after re-reading text(); SCX_FLAGS and the
//     list comment are untouched by it;
//   - set_flags(f) -> flags() == to_command_line(f) (or still unset when f is empty and there
//     was no SCX_FLAGS line); SCX_SCHEDULER is untouched by it;
//   - the only Error an edit may throw is for a value that continues on the next line;
//   - add_listed_scheduler() then remove_listed_scheduler() and restore_assignment_line() of
//     the saved lines give back the input byte for byte (install then uninstall), when
//     scx_gamer was neither listed nor selected before.
#include "config/default_scx.h"
#include "fuzz_check.h"
#include "tuning/flags.h"
#include "util/error.h"

#include <algorithm>
#include <optional>
#include <string>

using namespace scx_gamer;
using fuzz::require;

namespace {

constexpr std::string_view kOurs = "scx_gamer";

bool is_listed(const DefaultScxFile& file, std::string_view name) {
    const auto listed = file.listed_schedulers();
    return listed && std::find(listed->begin(), listed->end(), name) != listed->end();
}

void check_reading(const DefaultScxFile& file) {
    for (const auto variable : {ScxVariable::Scheduler, ScxVariable::Flags}) {
        const auto value = file.value(variable);
        const auto line = file.assignment_line(variable);
        require(value.has_value() == line.has_value(), "a value comes from an assignment line");
        if (!line)
            continue;
        require(fuzz::is_one_line(*line), "an assignment line is one line", *line);
        require(DefaultScxFile(*line).value(variable) == value, "the line alone gives the value");
    }
    if (const auto listed = file.listed_schedulers()) {
        for (const auto& name : *listed)
            require(!name.empty() && name.find_first_of(" \t\r\n") == std::string::npos,
                    "listed names are words");
    }
}

// The SCX_FLAGS install writes; validated once (it is most of the cost of a run).
const FlagValues& activation_flags() {
    static const FlagValues flags = parse_flags(std::vector<std::string>{
        "--slice-us", "5000", "--mm-affinity", "--primary-domain", "0-3,6"});
    return flags;
}

bool continues_on_next_line(const Error& error) {
    return std::string_view(error.what()).find("continues on the next line") !=
           std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    DefaultScxFile file(input);
    require(file.text() == input, "an unedited file is byte-identical");
    check_reading(file);

    const auto scheduler_before = file.scheduler();
    const auto flags_before = file.flags();
    const bool listed_before = is_listed(file, kOurs);
    const bool had_list = file.listed_schedulers().has_value();

    // install: register in the list comment
    const bool added = file.add_listed_scheduler(kOurs);
    require(added == (had_list && !listed_before), "added iff there is a list without us");
    require(is_listed(file, kOurs) == had_list, "listed after adding iff there is a list");
    require(file.scheduler() == scheduler_before && file.flags() == flags_before,
            "the list comment is not an assignment");

    // install --activate: remember the lines, select scx_gamer with flags
    const auto saved_scheduler_line = file.assignment_line(ScxVariable::Scheduler);
    const auto saved_flags_line = file.assignment_line(ScxVariable::Flags);
    const auto listed_after_add = file.listed_schedulers();
    const FlagValues& flags = activation_flags();
    try {
        file.set_scheduler(kOurs);
    } catch (const Error& error) {
        require(continues_on_next_line(error), "set_scheduler fails only on a continued value");
        return 0;
    }
    require(file.scheduler() == kOurs, "set_scheduler(x) -> scheduler() == x");
    require(DefaultScxFile(file.text()).scheduler() == kOurs, "the written file selects x");
    require(file.flags() == flags_before, "set_scheduler leaves SCX_FLAGS alone");
    require(file.listed_schedulers() == listed_after_add, "set_scheduler leaves the list alone");
    check_reading(file);

    for (const FlagValues& next : {flags, FlagValues{}}) {
        const bool had_flags = file.flags().has_value();
        try {
            file.set_flags(next);
        } catch (const Error& error) {
            require(continues_on_next_line(error), "set_flags fails only on a continued value");
            return 0;
        }
        if (next.empty() && !had_flags)
            require(!file.flags(), "no flags and no SCX_FLAGS line: nothing is added");
        else
            require(file.flags() == to_command_line(next), "set_flags(f) -> flags() == f");
        require(DefaultScxFile(file.text()).flags() == file.flags(), "the written file agrees");
        require(file.scheduler() == kOurs, "set_flags leaves SCX_SCHEDULER alone");
        require(file.listed_schedulers() == listed_after_add, "set_flags leaves the list alone");
        check_reading(file);
    }
    file.set_flags(flags);

    // uninstall: unlist, then put the saved lines back
    file.remove_listed_scheduler(kOurs);
    require(!is_listed(file, kOurs), "removed from the list");
    if (scheduler_before == kOurs || listed_before)
        return 0; // uninstall does not know what was there before install then
    file.restore_assignment_line(ScxVariable::Scheduler, saved_scheduler_line);
    file.restore_assignment_line(ScxVariable::Flags, saved_flags_line);
    require(file.text() == input, "install then uninstall gives the input back byte for byte");
    return 0;
}
