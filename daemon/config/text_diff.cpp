// SPDX-License-Identifier: GPL-2.0-only
#include "config/text_diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace scx_gamer {
namespace {

// Above this many cells the middle part is not aligned line by line (memory stays < 16 MiB).
constexpr std::size_t kMaxAlignmentCells = 4'000'000;

// Lines including their '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const auto length = end == std::string_view::npos ? text.size() : end + 1;
        lines.push_back(text.substr(0, length));
        text.remove_prefix(length);
    }
    return lines;
}

struct Edit {
    char kind; // ' ', '-' or '+'
    std::string_view line;
};

using Lines = std::vector<std::string_view>;

// Longest-common-subsequence alignment of old[from_old, to_old) and new[from_new, to_new).
void align_middle(const Lines& old_lines, std::size_t from_old, std::size_t to_old,
                  const Lines& new_lines, std::size_t from_new, std::size_t to_new,
                  std::vector<Edit>& edits) {
    const std::size_t rows = to_old - from_old;
    const std::size_t cols = to_new - from_new;
    if (rows * cols > kMaxAlignmentCells) {
        for (std::size_t i = from_old; i < to_old; ++i)
            edits.push_back({'-', old_lines[i]});
        for (std::size_t j = from_new; j < to_new; ++j)
            edits.push_back({'+', new_lines[j]});
        return;
    }
    // common[i][j]: LCS length of the suffixes starting at row i and column j.
    std::vector<std::uint32_t> common((rows + 1) * (cols + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& {
        return common[i * (cols + 1) + j];
    };
    for (std::size_t i = rows; i-- > 0;)
        for (std::size_t j = cols; j-- > 0;)
            at(i, j) = old_lines[from_old + i] == new_lines[from_new + j]
                           ? at(i + 1, j + 1) + 1
                           : std::max(at(i + 1, j), at(i, j + 1));
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < rows || j < cols) {
        if (i < rows && j < cols && old_lines[from_old + i] == new_lines[from_new + j]) {
            edits.push_back({' ', old_lines[from_old + i]});
            ++i, ++j;
        } else if (i < rows && (j == cols || at(i + 1, j) >= at(i, j + 1))) {
            // On a tie the deletion goes first, so a replaced block reads "-old" then "+new".
            edits.push_back({'-', old_lines[from_old + i]});
            ++i;
        } else {
            edits.push_back({'+', new_lines[from_new + j]});
            ++j;
        }
    }
}

std::vector<Edit> edit_script(const Lines& old_lines, const Lines& new_lines) {
    // Edits are usually a few lines in a small file: keep the common head and tail out of the
    // quadratic part.
    std::size_t head = 0;
    while (head < old_lines.size() && head < new_lines.size() && old_lines[head] == new_lines[head])
        ++head;
    std::size_t tail = 0;
    while (tail < old_lines.size() - head && tail < new_lines.size() - head &&
           old_lines[old_lines.size() - 1 - tail] == new_lines[new_lines.size() - 1 - tail])
        ++tail;

    std::vector<Edit> edits;
    edits.reserve(old_lines.size() + new_lines.size()); // at most every line of both
    for (std::size_t i = 0; i < head; ++i)
        edits.push_back({' ', old_lines[i]});
    align_middle(old_lines, head, old_lines.size() - tail, new_lines, head, new_lines.size() - tail,
                 edits);
    for (std::size_t i = old_lines.size() - tail; i < old_lines.size(); ++i)
        edits.push_back({' ', old_lines[i]});
    return edits;
}

// "-3,2" / "+0,0" / "-1": diff omits the count when it is 1, and numbers an empty range by the
// line before it.
std::string range(char sign, std::size_t start, std::size_t count) {
    std::string text(1, sign);
    text += std::to_string(count == 0 ? start : start + 1);
    if (count != 1)
        text += "," + std::to_string(count);
    return text;
}

void append_line(std::string& out, char kind, std::string_view line) {
    out += kind;
    out += line;
    if (line.empty() || line.back() != '\n')
        out += "\n\\ No newline at end of file\n";
}

// Prints edits[first, last) as one hunk; old_start/new_start are the 0-based line numbers of
// edits[first] in each text.
void append_hunk(std::string& out, const std::vector<Edit>& edits, std::size_t first,
                 std::size_t last, std::size_t old_start, std::size_t new_start) {
    std::size_t old_count = 0;
    std::size_t new_count = 0;
    for (std::size_t k = first; k < last; ++k) {
        old_count += edits[k].kind != '+';
        new_count += edits[k].kind != '-';
    }
    out +=
        "@@ " + range('-', old_start, old_count) + " " + range('+', new_start, new_count) + " @@\n";
    for (std::size_t k = first; k < last; ++k)
        append_line(out, edits[k].kind, edits[k].line);
}

} // namespace

std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label, int context) {
    if (before == after)
        return "";
    const auto edits = edit_script(split_lines(before), split_lines(after));
    const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));

    std::string out =
        "--- " + std::string(before_label) + "\n+++ " + std::string(after_label) + "\n";
    std::size_t old_line = 0; // line numbers of edits[k] in each text
    std::size_t new_line = 0;
    std::size_t k = 0;
    while (k < edits.size()) {
        if (edits[k].kind == ' ') {
            ++old_line, ++new_line, ++k;
            continue;
        }
        // A change at k: the hunk starts ctx lines earlier and runs until a stretch of more than
        // 2*ctx unchanged lines (or the end), plus ctx lines of trailing context.
        const std::size_t lead = std::min(ctx, std::min(old_line, k));
        std::size_t first = k - lead;
        std::size_t end = k;
        std::size_t unchanged_run = 0;
        std::size_t last_change = k;
        for (; end < edits.size(); ++end) {
            if (edits[end].kind != ' ') {
                unchanged_run = 0;
                last_change = end;
            } else if (++unchanged_run > 2 * ctx) {
                break;
            }
        }
        const std::size_t last = std::min(edits.size(), last_change + 1 + ctx);
        append_hunk(out, edits, first, last, old_line - lead, new_line - lead);
        for (; k < last; ++k) {
            old_line += edits[k].kind != '+';
            new_line += edits[k].kind != '-';
        }
    }
    return out;
}

} // namespace scx_gamer
