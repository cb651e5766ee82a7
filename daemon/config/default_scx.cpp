// SPDX-License-Identifier: GPL-2.0-only
#include "config/default_scx.h"

#include "util/error.h"
#include "util/text.h"

#include <algorithm>

namespace scx_gamer {
namespace {

constexpr std::size_t kMaxSchedulerNameLength = 64;
constexpr std::size_t kMaxVariableValueLength = 4096;
constexpr std::string_view kListCommentTitle = "list of scx_schedulers:";

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::size_t skip_blanks(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_blank(text[pos]))
        ++pos;
    return pos;
}

std::size_t end_without_trailing_blanks(std::string_view text) {
    std::size_t end = text.size();
    while (end > 0 && is_blank(text[end - 1]))
        --end;
    return end;
}

// One `KEY=value` line as systemd's EnvironmentFile parser reads it.
struct Assignment {
    std::string key;
    std::size_t value_begin = 0; // first byte of the written value (after '=' and blanks)
    std::size_t value_end = 0;   // end of the written value (before trailing blanks)
    char quote = '\0';           // the written quoting style: '\'', '"' or none
    std::string value;           // the value systemd passes on
    bool continues = false;      // an open quote or a trailing backslash: it goes on next line
};

// The value part of systemd's state machine (env-file.c): a quote opens only where a value
// (re)starts, text after a closing quote is appended, blanks before a value are skipped, trailing
// blanks of an unquoted value are dropped and '\' escapes the next character.
void read_value(std::string_view line, Assignment& assignment) {
    enum class State { PreValue, Value, ValueEscape, Single, Double, DoubleEscape };
    State state = State::PreValue;
    std::string& value = assignment.value;
    std::size_t trailing_blanks_at = std::string::npos;
    for (std::size_t i = assignment.value_begin; i < line.size(); ++i) {
        const char c = line[i];
        switch (state) {
        case State::PreValue:
            if (c == '\'')
                state = State::Single;
            else if (c == '"')
                state = State::Double;
            else if (c == '\\')
                state = State::ValueEscape;
            else if (!is_blank(c)) {
                state = State::Value;
                value += c;
            }
            break;
        case State::Value:
            if (c == '\\') {
                state = State::ValueEscape;
                trailing_blanks_at = std::string::npos;
            } else {
                if (!is_blank(c))
                    trailing_blanks_at = std::string::npos;
                else if (trailing_blanks_at == std::string::npos)
                    trailing_blanks_at = value.size();
                value += c;
            }
            break;
        case State::ValueEscape:
            state = State::Value;
            value += c;
            break;
        case State::Single:
            if (c == '\'')
                state = State::PreValue;
            else
                value += c;
            break;
        case State::Double:
            if (c == '"')
                state = State::PreValue;
            else if (c == '\\')
                state = State::DoubleEscape;
            else
                value += c;
            break;
        case State::DoubleEscape:
            state = State::Double;
            if (std::string_view("\"\\`$").find(c) == std::string_view::npos)
                value += '\\';
            value += c;
            break;
        }
    }
    if (state == State::Value && trailing_blanks_at != std::string::npos)
        value.resize(trailing_blanks_at);
    assignment.continues = state != State::PreValue && state != State::Value;
}

std::optional<Assignment> parse_assignment(std::string_view line) {
    const std::size_t key_begin = skip_blanks(line, 0);
    if (key_begin == line.size() || line[key_begin] == '#' || line[key_begin] == ';')
        return std::nullopt;
    const std::size_t equals = line.find('=', key_begin);
    if (equals == std::string_view::npos)
        return std::nullopt;
    Assignment assignment;
    std::string_view key = line.substr(key_begin, equals - key_begin);
    assignment.key = std::string(key.substr(0, end_without_trailing_blanks(key)));
    assignment.value_begin = skip_blanks(line, equals + 1);
    assignment.value_end = std::max(assignment.value_begin, end_without_trailing_blanks(line));
    if (assignment.value_begin < line.size() &&
        (line[assignment.value_begin] == '\'' || line[assignment.value_begin] == '"'))
        assignment.quote = line[assignment.value_begin];
    read_value(line, assignment);
    return assignment;
}

std::optional<Assignment> parse_assignment_of(std::string_view line, ScxVariable variable) {
    auto assignment = parse_assignment(line);
    if (!assignment || assignment->key != variable_name(variable))
        return std::nullopt;
    return assignment;
}

// Values we write never contain quotes, '\' or '$' (see the header), so wrapping them in the
// line's own quote characters is exact for systemd and for bash alike.
std::string quoted(const std::string& value, char quote) {
    if (quote == '\0')
        return value;
    return quote + value + quote;
}

// Where the names start in a "# List of scx_schedulers: a b c" line, or npos.
std::size_t list_start(std::string_view line) {
    std::size_t pos = skip_blanks(line, 0);
    if (pos == line.size() || line[pos] != '#')
        return std::string_view::npos;
    pos = skip_blanks(line, pos + 1);
    if (to_lower_ascii(line.substr(pos, kListCommentTitle.size())) != kListCommentTitle)
        return std::string_view::npos;
    return pos + kListCommentTitle.size();
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while ((pos = skip_blanks(text, pos)) < text.size()) {
        std::size_t end = pos;
        while (end < text.size() && !is_blank(text[end]))
            ++end;
        words.emplace_back(text.substr(pos, end - pos));
        pos = end;
    }
    return words;
}

bool contains_line_break(std::string_view text) {
    return text.find_first_of("\r\n") != std::string_view::npos;
}

} // namespace

std::string_view variable_name(ScxVariable variable) {
    switch (variable) {
    case ScxVariable::Scheduler:
        return "SCX_SCHEDULER";
    case ScxVariable::Flags:
        return "SCX_FLAGS";
    case ScxVariable::GamerFlags:
        return "SCX_GAMER_FLAGS";
    }
    return "";
}

bool is_safe_variable_value(std::string_view value) {
    if (value.size() > kMaxVariableValueLength)
        return false;
    return std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view(" ,._/=+-").find(c) != std::string_view::npos;
    });
}

bool is_valid_scheduler_name(std::string_view name) {
    if (name.size() <= 4 || name.size() > kMaxSchedulerNameLength || !name.starts_with("scx_"))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// systemd's parser ends a line at a lone '\r' too (its NEWLINE is "\n\r"): "A=1\rB=2" assigns
// B, so a stray CR must start a new line here as well, or we would read and edit other values
// than scx.service gets.
DefaultScxFile::DefaultScxFile(std::string_view text) {
    while (!text.empty()) {
        const std::size_t end = text.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            lines_.push_back({std::string(text), ""});
            break;
        }
        const std::size_t ending_length = text.substr(end, 2) == "\r\n" ? 2 : 1;
        lines_.push_back(
            {std::string(text.substr(0, end)), std::string(text.substr(end, ending_length))});
        text.remove_prefix(end + ending_length);
    }
}

std::string DefaultScxFile::text() const {
    std::string out;
    for (const auto& line : lines_)
        out += line.content + line.ending;
    return out;
}

std::optional<std::size_t> DefaultScxFile::assignment_index(ScxVariable variable) const {
    for (std::size_t i = lines_.size(); i-- > 0;) {
        if (parse_assignment_of(lines_[i].content, variable))
            return i;
    }
    return std::nullopt;
}

std::optional<std::size_t> DefaultScxFile::list_comment_index() const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        if (list_start(lines_[i].content) != std::string_view::npos)
            return i;
    }
    return std::nullopt;
}

std::optional<std::string> DefaultScxFile::value(ScxVariable variable) const {
    const auto index = assignment_index(variable);
    if (!index)
        return std::nullopt;
    return parse_assignment_of(lines_[*index].content, variable)->value;
}

std::optional<std::vector<std::string>> DefaultScxFile::listed_schedulers() const {
    const auto index = list_comment_index();
    if (!index)
        return std::nullopt;
    const std::string& line = lines_[*index].content;
    return split_words(std::string_view(line).substr(list_start(line)));
}

std::optional<std::string> DefaultScxFile::assignment_line(ScxVariable variable) const {
    const auto index = assignment_index(variable);
    if (!index)
        return std::nullopt;
    return lines_[*index].content;
}

std::string DefaultScxFile::line_ending() const {
    for (const auto& line : lines_) {
        if (!line.ending.empty())
            return line.ending;
    }
    return "\n";
}

void DefaultScxFile::replace_value(std::size_t index, ScxVariable variable,
                                   const std::string& value) {
    std::string& content = lines_[index].content;
    const auto assignment = parse_assignment_of(content, variable);
    if (assignment->continues)
        throw Error(std::string(variable_name(variable)) +
                    " continues on the next line (open quote or trailing backslash); edit it by "
                    "hand");
    content.replace(assignment->value_begin, assignment->value_end - assignment->value_begin,
                    quoted(value, assignment->quote));
}

// Inserts after line `index` (at the end for nullopt). A file without a final newline keeps
// lacking one: the new line takes over the missing ending, which remove_line() gives back.
void DefaultScxFile::insert_line_after(std::optional<std::size_t> index, std::string content) {
    const std::size_t at = index ? *index + 1 : lines_.size();
    Line line{std::move(content), line_ending()};
    if (at > 0 && lines_[at - 1].ending.empty()) {
        lines_[at - 1].ending = line_ending();
        line.ending.clear();
    }
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
}

void DefaultScxFile::remove_line(std::size_t index) {
    const bool was_unterminated = lines_[index].ending.empty();
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(index));
    if (was_unterminated && index > 0 && index == lines_.size())
        lines_[index - 1].ending.clear();
}

void DefaultScxFile::set_scheduler(std::string_view name) {
    if (!is_valid_scheduler_name(name))
        throw Error("invalid scheduler name " + quote_for_message(name) +
                    " (expected scx_ followed by a-z, 0-9 or _)");
    set_value(ScxVariable::Scheduler, name);
}

void DefaultScxFile::set_flags(const FlagValues& flags) {
    set_value(ScxVariable::Flags, to_command_line(flags));
}

void DefaultScxFile::set_value(ScxVariable variable, std::string_view value) {
    if (!is_safe_variable_value(value))
        throw Error("refusing to write " + std::string(variable_name(variable)) + "=" +
                    quote_for_message(value) +
                    ": only letters, digits, spaces and , . _ / = + - are safe there");
    if (const auto index = assignment_index(variable)) {
        replace_value(*index, variable, std::string(value));
        return;
    }
    if (value.empty())
        return;
    const std::string name(variable_name(variable));
    if (variable == ScxVariable::Scheduler) {
        insert_line_after(std::nullopt, name + "=" + std::string(value));
        return;
    }
    // The shipped example is `#SCX_FLAGS='-s 700 -S'`: follow its quoting.
    const auto after =
        variable == ScxVariable::Flags ? assignment_index(ScxVariable::Scheduler) : std::nullopt;
    insert_line_after(after, name + "=" + quoted(std::string(value), '\''));
}

bool DefaultScxFile::add_listed_scheduler(std::string_view name) {
    const auto index = list_comment_index();
    if (!index)
        return false;
    const auto listed = *listed_schedulers();
    if (std::find(listed.begin(), listed.end(), name) != listed.end())
        return false;
    std::string& content = lines_[*index].content;
    content.insert(end_without_trailing_blanks(content), " " + std::string(name));
    return true;
}

bool DefaultScxFile::remove_listed_scheduler(std::string_view name) {
    const auto index = list_comment_index();
    if (!index)
        return false;
    std::string& content = lines_[*index].content;
    bool removed = false;
    const std::size_t start = list_start(content);
    std::size_t pos = start;
    while ((pos = content.find(name, pos)) != std::string::npos) {
        const std::size_t end = pos + name.size();
        // Words as listed_schedulers() splits them: "a:scx_gamer" is one word, not ours.
        const bool word_start = pos == start || is_blank(content[pos - 1]);
        const bool word_end = end == content.size() || is_blank(content[end]);
        if (!word_start || !word_end) {
            pos = end;
            continue;
        }
        // Take one blank before the name with it: the exact inverse of add_listed_scheduler().
        const std::size_t from = is_blank(content[pos - 1]) ? pos - 1 : pos;
        content.erase(from, end - from);
        pos = from;
        removed = true;
    }
    return removed;
}

void DefaultScxFile::restore_assignment_line(ScxVariable variable,
                                             const std::optional<std::string>& line) {
    const auto index = assignment_index(variable);
    if (!line) {
        if (index)
            remove_line(*index);
        return;
    }
    const auto assignment = parse_assignment_of(*line, variable);
    if (contains_line_break(*line) || !assignment || assignment->continues)
        throw Error("not a one-line " + std::string(variable_name(variable)) +
                    " assignment: " + quote_for_message(*line, 80));
    if (index) {
        lines_[*index].content = *line;
        return;
    }
    const auto after =
        variable == ScxVariable::Flags ? assignment_index(ScxVariable::Scheduler) : std::nullopt;
    insert_line_after(after, *line);
}

} // namespace scx_gamer
