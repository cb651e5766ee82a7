// SPDX-License-Identifier: GPL-2.0-only
// A small unified diff (the `diff -u` format) for showing planned config edits (--dry-run).
#pragma once

#include <string>
#include <string_view>

namespace scx_gamer {

// The unified diff turning `before` into `after`, with `context` unchanged lines around each
// change, headed "--- before_label" / "+++ after_label"; "" when the texts are equal. Lines are
// compared byte for byte (a CRLF line differs from its LF twin) and a last line without newline
// is marked "\ No newline at end of file", as GNU diff does. Config files are small: the middle
// part that differs is compared in quadratic time, and past a size limit it is shown as one
// block replaced by another (still a correct diff, just not a minimal one).
std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label,
                         int context = 3);

} // namespace scx_gamer
