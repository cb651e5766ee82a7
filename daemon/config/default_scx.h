// SPDX-License-Identifier: GPL-2.0-only
// /etc/default/scx: the EnvironmentFile of scx.service, whose ExecStart is
//   /bin/bash -c 'exec ${SCX_SCHEDULER_OVERRIDE:-$SCX_SCHEDULER} ${SCX_FLAGS_OVERRIDE:-$SCX_FLAGS}
//   '
// The same editor serves /etc/default/scx_gamer, the EnvironmentFile of scx_gamer.service
// (ExecStart=/usr/bin/scx_gamer $SCX_GAMER_FLAGS): one format, one variable of our own.
//
// The file belongs to the administrator (and to the scx-scheds package, which ships it). We edit
// exactly three things and leave every other byte alone (comments, blank lines, quoting style,
// CRLF endings, a missing final newline):
//   SCX_SCHEDULER=...                the scheduler scx.service runs;
//   SCX_FLAGS=...                    its flags;
//   # List of scx_schedulers: ...    the comment that tells humans (and GUIs that once parsed
//                                    it) which schedulers are installed.
//
// What is written is safe for systemd's EnvironmentFile parser AND for the unquoted expansion in
// `bash -c`: a scheduler name must match ^scx_[a-z0-9_]+$ and flags only come in as FlagValues,
// whose to_command_line() holds nothing but table flag names and whitelisted values (no quotes,
// spaces inside values, globs or $). set_value() enforces that character set itself, whoever
// the caller is. The only other text that can be written back is a line that was in this file
// before (restore_assignment_line, used by uninstall).
#pragma once

#include "tuning/flags.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

// SCX_SCHEDULER, SCX_FLAGS (/etc/default/scx); SCX_GAMER_FLAGS (/etc/default/scx_gamer).
enum class ScxVariable { Scheduler, Flags, GamerFlags };

std::string_view variable_name(ScxVariable variable);

// Whether a value can be written unquoted-safe: only A-Z a-z 0-9, space and , . _ / = + - (no
// quotes, '\', '$', globs, control characters or line breaks), at most 4096 bytes. Such a value
// means the same to systemd's EnvironmentFile parser, to its $VAR splitting and to `bash -c`.
bool is_safe_variable_value(std::string_view value);

// Whether scx.service can exec this name safely: ^scx_[a-z0-9_]+$, at most 64 characters.
bool is_valid_scheduler_name(std::string_view name);

class DefaultScxFile {
  public:
    explicit DefaultScxFile(std::string_view text);

    // The file with the edits made so far; untouched lines are byte-identical.
    std::string text() const;

    // The value systemd gives the variable (the last assignment wins), with 'single' and
    // "double" quotes and backslash escapes resolved as EnvironmentFile does; nullopt if the
    // variable is not assigned (a commented-out example does not count).
    std::optional<std::string> value(ScxVariable variable) const;
    std::optional<std::string> scheduler() const { return value(ScxVariable::Scheduler); }
    std::optional<std::string> flags() const { return value(ScxVariable::Flags); }

    // The names in the "# List of scx_schedulers:" comment, nullopt if there is no such comment.
    std::optional<std::vector<std::string>> listed_schedulers() const;

    // Sets SCX_SCHEDULER in place (keeping the line's quoting), or adds the line at the end.
    // Throws Error if the name is not a valid scheduler name.
    void set_scheduler(std::string_view name);
    // Sets SCX_FLAGS in place (keeping the line's quoting), or adds SCX_FLAGS='...' after
    // SCX_SCHEDULER, quoted like the shipped example. With no flags and no SCX_FLAGS line,
    // nothing is added.
    void set_flags(const FlagValues& flags);
    // Sets any variable in place, keeping the line's quoting. A missing assignment is added:
    // SCX_FLAGS after SCX_SCHEDULER, the others at the end; flags quoted '...' like the shipped
    // example, SCX_SCHEDULER bare. An empty value adds no line. Throws Error, changing nothing,
    // unless is_safe_variable_value(value). set_scheduler() also checks the name.
    void set_value(ScxVariable variable, std::string_view value);

    // Appends name to the list comment. False if there is no list comment or name is listed.
    bool add_listed_scheduler(std::string_view name);
    // Removes every occurrence of name from the list comment (exactly undoing the add).
    bool remove_listed_scheduler(std::string_view name);

    // The line that assigns the variable, as written (without its line ending); nullopt if
    // none. Install saves it so that uninstall can put it back byte for byte.
    std::optional<std::string> assignment_line(ScxVariable variable) const;
    // Puts back a line saved from assignment_line(), or removes the assignment for nullopt.
    // Throws Error unless `line` is one line assigning that variable.
    void restore_assignment_line(ScxVariable variable, const std::optional<std::string>& line);

  private:
    struct Line {
        std::string content; // without the ending
        std::string ending;  // "\n", "\r\n", a lone "\r" or "" (last line without newline)
    };

    std::optional<std::size_t> assignment_index(ScxVariable variable) const;
    std::optional<std::size_t> list_comment_index() const;
    void replace_value(std::size_t index, ScxVariable variable, const std::string& value);
    void insert_line_after(std::optional<std::size_t> index, std::string content);
    void remove_line(std::size_t index);
    std::string line_ending() const;

    std::vector<Line> lines_;
};

} // namespace scx_gamer
