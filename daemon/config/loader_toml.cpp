// SPDX-License-Identifier: GPL-2.0-only
// Over 400 lines on purpose: one job, editing scx_loader's TOML so that every byte outside our
// section stays as it was (locate, splice, and the checks that refuse what cannot be edited
// safely); split up, the invariants of one edit would be spread over files.
#include "config/loader_toml.h"

#include "util/error.h"
#include "util/text.h"
#include "util/toml_location.h"

#include <algorithm>
#include <functional>

namespace scx_gamer {
namespace {

using TomlValue = toml::ordered_value;

constexpr std::string_view kSectionHeader = "[scheds.scx_gamer]";

// Byte offsets of the lines of a text; lines and columns are 1-based, as toml11 reports them.
class LineIndex {
  public:
    explicit LineIndex(std::string_view text) : text_(text) {
        starts_.push_back(0);
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n')
                starts_.push_back(i + 1);
        }
    }
    std::size_t count() const { return starts_.size(); }
    std::size_t begin(std::size_t line) const { return starts_[line - 1]; }
    // Just past the line's '\n' (or the end of the text).
    std::size_t end(std::size_t line) const {
        return line < starts_.size() ? starts_[line] : text_.size();
    }
    std::size_t offset(std::size_t line, std::size_t column) const {
        return begin(line) + column - 1;
    }
    std::string_view content(std::size_t line) const {
        std::string_view text = text_.substr(begin(line), end(line) - begin(line));
        if (text.ends_with('\n'))
            text.remove_suffix(1);
        if (text.ends_with('\r'))
            text.remove_suffix(1);
        return text;
    }

  private:
    std::string_view text_;
    std::vector<std::size_t> starts_;
};

// Where one key's value sits in the text.
struct KeyRange {
    std::string key;
    toml::source_location location;
};

// Where [scheds.scx_gamer] sits in the text.
struct SectionLayout {
    std::size_t header_line = 0;
    std::size_t last_line = 0; // the last line of the last key (header_line without keys)
    std::optional<std::size_t> marker_line;
    std::vector<KeyRange> keys;

    const KeyRange* find(const std::string& key) const {
        auto it = std::find_if(keys.begin(), keys.end(),
                               [&](const KeyRange& range) { return range.key == key; });
        return it == keys.end() ? nullptr : &*it;
    }
};

std::string line_ending_of(std::string_view text) {
    const auto newline = text.find('\n');
    return newline != std::string_view::npos && newline > 0 && text[newline - 1] == '\r' ? "\r\n"
                                                                                         : "\n";
}

TomlValue parse_or_throw(std::string_view text, const std::string& source_name) {
    auto parsed = toml_text::parse(text, source_name);
    if (parsed.is_err())
        throw Error(parsed.unwrap_err() + " (fix the file first; nothing was changed)");
    return std::move(parsed.unwrap());
}

const TomlValue* find_gamer_table(const TomlValue& root) {
    if (!root.is_table() || !root.contains("scheds"))
        return nullptr;
    const TomlValue& scheds = root.at("scheds");
    if (!scheds.is_table() || !scheds.contains("scx_gamer"))
        return nullptr;
    return &scheds.at("scx_gamer");
}

bool starts_table_header(std::string_view line) {
    const auto first = line.find_first_not_of(" \t");
    return first != std::string_view::npos && line[first] == '[';
}

// The first line after the header that opens another table; lines inside a multi-line value of
// one of our keys (an array spread over lines may start with '[') do not count.
std::size_t next_header_line(const TomlValue& table, std::size_t header_line,
                             const LineIndex& lines) {
    for (std::size_t line = header_line + 1; line <= lines.count(); ++line) {
        const bool inside_value =
            std::any_of(table.as_table().begin(), table.as_table().end(), [&](const auto& entry) {
                const auto& location = entry.second.location();
                return location.first_line_number() < line && line <= location.last_line_number();
            });
        if (!inside_value && starts_table_header(lines.content(line)))
            return line;
    }
    return lines.count() + 1;
}

std::optional<SectionLayout> locate_section(const TomlValue& root, const LineIndex& lines,
                                            const std::string& source_name) {
    const TomlValue* table = find_gamer_table(root);
    if (table == nullptr)
        return std::nullopt;
    const std::string where = toml_text::where(table->location());
    if (!table->is_table() || table->as_table_fmt().fmt != toml::table_format::multiline)
        throw Error(where +
                    ": scheds.scx_gamer is not written as a [scheds.scx_gamer] section "
                    "(an inline, dotted or implied table); edit " +
                    source_name + " by hand");
    SectionLayout layout;
    layout.header_line = table->location().first_line_number();
    if (layout.header_line == 0 || layout.header_line > lines.count() ||
        !starts_table_header(lines.content(layout.header_line)))
        throw Error(where + ": cannot find the [scheds.scx_gamer] header line");
    layout.last_line = layout.header_line;
    const std::size_t next_header = next_header_line(*table, layout.header_line, lines);
    for (const auto& [key, value] : table->as_table()) {
        const auto& location = value.location();
        if (location.first_line_number() <= layout.header_line ||
            location.first_line_number() >= next_header)
            continue; // a [scheds.scx_gamer.sub] table further down
        layout.keys.push_back({key, location});
        layout.last_line = std::max(layout.last_line, location.last_line_number());
    }
    if (layout.header_line > 1 && lines.content(layout.header_line - 1) == kGamerSectionMarker)
        layout.marker_line = layout.header_line - 1;
    return layout;
}

// A [scheds.scx_gamer] header appended at the end must extend `scheds`, which TOML forbids when
// that is an inline table, an array of tables or a plain value: say so instead of writing a
// file that no longer parses.
void check_section_can_be_added(const TomlValue& root, const std::string& source_name) {
    if (!root.is_table() || !root.contains("scheds"))
        return;
    const TomlValue& scheds = root.at("scheds");
    if (scheds.is_table() && scheds.as_table_fmt().fmt != toml::table_format::oneline &&
        scheds.as_table_fmt().fmt != toml::table_format::multiline_oneline)
        return;
    throw Error(toml_text::where(scheds.location()) +
                ": scheds is not written as [scheds.NAME] sections (an inline table, an array or "
                "a value), so [scheds.scx_gamer] cannot be added; edit " +
                source_name + " by hand");
}

// A TOML basic string. Flags never need escapes (they are whitelisted), but the writer does not
// rely on that.
std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
            out += escape;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string toml_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : ", ") + toml_string(items[i]);
    return out + "]";
}

std::string key_line(const NamedFlags& profile) {
    return profile_key(profile.name) + " = " + toml_string_array(profile.flags);
}

void check_profiles(const std::vector<NamedFlags>& profiles) {
    for (const auto& profile : profiles) {
        if (!is_valid_profile_name(profile.name))
            throw Error("invalid profile name " + quote_for_message(profile.name) +
                        " (expected 1-32 of a-z, 0-9, _ and -)");
        parse_flags(profile.flags); // throws FlagError naming the flag
    }
}

// Text edits on disjoint byte ranges of the original, applied back to front.
struct Splice {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
};

std::string apply_splices(std::string_view text, std::vector<Splice> splices) {
    std::sort(splices.begin(), splices.end(),
              [](const Splice& a, const Splice& b) { return a.begin > b.begin; });
    std::string out(text);
    for (const auto& splice : splices)
        out.replace(splice.begin, splice.end - splice.begin, splice.replacement);
    return out;
}

void strip_comments(TomlValue& value) {
    value.comments().clear();
    if (value.is_table()) {
        for (auto& [key, child] : value.as_table())
            strip_comments(child);
    } else if (value.is_array()) {
        for (auto& child : value.as_array())
            strip_comments(child);
    }
}

// Splits a document into our section and the rest, both without comments (comments are text,
// and the text outside the section is untouched byte for byte anyway).
std::pair<TomlValue, TomlValue> split_document(TomlValue root) {
    strip_comments(root);
    TomlValue section = toml::ordered_table{};
    if (find_gamer_table(root) != nullptr) {
        auto& scheds = root.as_table().at("scheds").as_table();
        section = scheds.at("scx_gamer");
        scheds.erase("scx_gamer");
    }
    // An empty [scheds] is no content: it is what our section leaves behind when it is taken
    // out, and a file may also hold one of its own that our section then fills.
    auto& table = root.as_table();
    if (const auto scheds = table.find("scheds");
        scheds != table.end() && scheds->second.is_table() && scheds->second.as_table().empty())
        table.erase("scheds");
    return {std::move(section), std::move(root)};
}

// Step 3 of the header comment: the edited text must parse, its [scheds.scx_gamer] must be the
// old one changed by `intended`, and the rest must be unchanged.
void validate_edit(std::string_view before, const std::string& after,
                   const std::string& source_name,
                   const std::function<void(toml::ordered_table&)>& intended) {
    auto [expected_section, expected_rest] = split_document(parse_or_throw(before, source_name));
    intended(expected_section.as_table());
    TomlValue edited;
    try {
        edited = parse_or_throw(after, source_name);
    } catch (const Error& e) {
        throw Error("internal error: editing " + source_name +
                    " would make it invalid; nothing was changed (" + e.what() + ")");
    }
    auto [section, rest] = split_document(std::move(edited));
    if (!(rest == expected_rest) || !(section == expected_section))
        throw Error("internal error: editing " + source_name +
                    " would change more than [scheds.scx_gamer]; nothing was changed");
}

void set_keys(toml::ordered_table& section, const std::vector<NamedFlags>& profiles) {
    for (const auto& profile : profiles) {
        toml::ordered_array flags;
        for (const auto& flag : profile.flags)
            flags.push_back(flag);
        const std::string key = profile_key(profile.name);
        auto it = std::find_if(section.begin(), section.end(),
                               [&](const auto& entry) { return entry.first == key; });
        if (it != section.end())
            it->second = TomlValue(std::move(flags));
        else
            section.emplace_back(key, TomlValue(std::move(flags)));
    }
}

std::string append_section(std::string_view text, const std::vector<NamedFlags>& profiles) {
    const std::string eol = line_ending_of(text);
    std::string out(text);
    if (lacks_final_newline(out))
        out += eol;
    if (!out.empty())
        out += eol; // a blank line before our block
    out += std::string(kGamerSectionMarker) + eol + std::string(kSectionHeader) + eol;
    for (const auto& profile : profiles)
        out += key_line(profile) + eol;
    return out;
}

std::string update_section(std::string_view text, const LineIndex& lines,
                           const SectionLayout& layout, const std::vector<NamedFlags>& profiles) {
    const std::string eol = line_ending_of(text);
    std::vector<Splice> splices;
    std::string new_keys;
    for (const auto& profile : profiles) {
        const KeyRange* range = layout.find(profile_key(profile.name));
        if (range == nullptr) {
            new_keys += key_line(profile) + eol;
            continue;
        }
        const auto& location = range->location;
        splices.push_back(
            {lines.offset(location.first_line_number(), location.first_column_number()),
             lines.offset(location.last_line_number(), location.last_column_number()),
             toml_string_array(profile.flags)});
    }
    if (!new_keys.empty()) {
        const std::size_t at = lines.end(layout.last_line);
        const bool needs_newline = at == text.size() && lacks_final_newline(text);
        splices.push_back({at, at, needs_newline ? eol + new_keys : new_keys});
    }
    return apply_splices(text, std::move(splices));
}

// Removes whole lines [first, last]; returns the text. If that reaches the end of a text whose
// last line had no newline, the new last line loses its newline too (the file's style stays).
std::string erase_lines(std::string_view text, const LineIndex& lines, std::size_t first,
                        std::size_t last) {
    std::string out(text);
    const std::size_t begin = lines.begin(first);
    const std::size_t end = lines.end(last);
    out.erase(begin, end - begin);
    if (end == text.size() && lacks_final_newline(text) && begin > 0) {
        const std::string eol = line_ending_of(text);
        if (std::string_view(out).ends_with(eol))
            out.resize(out.size() - eol.size());
    }
    return out;
}

} // namespace

std::vector<NamedFlags> mode_profiles(const ProfileSet& profiles) {
    std::vector<NamedFlags> out;
    for (const auto name : kModeProfileNames) {
        if (const Profile* profile = profiles.find(std::string(name)))
            out.push_back({std::string(name), to_args(profile->values)});
    }
    return out;
}

bool lacks_final_newline(std::string_view text) {
    return !text.empty() && !text.ends_with('\n');
}

bool has_gamer_section(std::string_view text, const std::string& source_name) {
    return find_gamer_table(parse_or_throw(text, source_name)) != nullptr;
}

bool has_our_gamer_section(std::string_view text, const std::string& source_name) {
    const LineIndex lines(text);
    const auto layout = locate_section(parse_or_throw(text, source_name), lines, source_name);
    return layout && layout->marker_line;
}

std::string set_gamer_profiles(std::string_view text, const std::vector<NamedFlags>& profiles,
                               const std::string& source_name) {
    check_profiles(profiles);
    const LineIndex lines(text);
    const TomlValue root = parse_or_throw(text, source_name);
    const auto layout = locate_section(root, lines, source_name);
    if (!layout)
        check_section_can_be_added(root, source_name);
    std::string edited =
        layout ? update_section(text, lines, *layout, profiles) : append_section(text, profiles);
    validate_edit(text, edited, source_name,
                  [&](toml::ordered_table& section) { set_keys(section, profiles); });
    return edited;
}

std::string remove_gamer_profiles(std::string_view text, const std::vector<std::string>& names,
                                  const std::string& source_name) {
    const LineIndex lines(text);
    const auto layout = locate_section(parse_or_throw(text, source_name), lines, source_name);
    if (!layout)
        return std::string(text);
    std::vector<const KeyRange*> doomed;
    for (const auto& name : names) {
        if (const KeyRange* range = layout->find(profile_key(name)))
            doomed.push_back(range);
    }
    // Back to front, so the line numbers of the ranges still to erase stay valid.
    std::sort(doomed.begin(), doomed.end(), [](const KeyRange* a, const KeyRange* b) {
        return a->location.first_line_number() > b->location.first_line_number();
    });
    std::string edited(text);
    for (const KeyRange* range : doomed) {
        const LineIndex current(edited);
        edited = erase_lines(edited, current, range->location.first_line_number(),
                             range->location.last_line_number());
    }
    validate_edit(text, edited, source_name, [&](toml::ordered_table& section) {
        for (const auto& name : names) {
            const std::string key = profile_key(name);
            auto it = std::find_if(section.begin(), section.end(),
                                   [&](const auto& entry) { return entry.first == key; });
            if (it != section.end())
                section.erase(it);
        }
    });
    return edited;
}

std::string remove_gamer_section(std::string_view text, const std::string& source_name,
                                 bool added_final_newline) {
    const LineIndex lines(text);
    const auto layout = locate_section(parse_or_throw(text, source_name), lines, source_name);
    if (!layout)
        return std::string(text);
    const std::string eol = line_ending_of(text);
    std::size_t begin = lines.begin(layout->marker_line.value_or(layout->header_line));
    const std::size_t end = lines.end(layout->last_line);
    // The blank line append_section() put before the marker goes too, when nothing but another
    // blank line (or the end of the file) follows.
    // The line before that blank one may end in either style: a file that mixes them takes its
    // style from its first line, so the blank line is an eol after any line end.
    const std::string_view head = text.substr(0, begin);
    const std::string_view tail = text.substr(end);
    const bool blank_before = head.ends_with(eol) && head.size() > eol.size() &&
                              head[head.size() - eol.size() - 1] == '\n';
    if (blank_before && (tail.empty() || tail.starts_with(eol)))
        begin -= eol.size();
    std::string edited = std::string(text.substr(0, begin)) + std::string(tail);
    if (added_final_newline && tail.empty() && std::string_view(edited).ends_with(eol))
        edited.resize(edited.size() - eol.size());
    validate_edit(text, edited, source_name, [](toml::ordered_table& section) { section.clear(); });
    return edited;
}

} // namespace scx_gamer
