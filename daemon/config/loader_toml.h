// SPDX-License-Identifier: GPL-2.0-only
// Editing [scheds.scx_gamer] in scx_loader's TOML without disturbing anything else in it.
//
// Why the edits are splices of the text and not toml11 round trips: toml11 (ordered_type_config)
// keeps key order and comments, but re-serializing moves trailing comments onto their own line,
// drops blank lines and respaces values. Install would then rewrite the administrator's whole
// file, and install followed by uninstall could never give back the original bytes. So:
//   1. toml11 parses the file to tell where things are: the section's header line and the exact
//      byte range (line:column) of each key's value;
//   2. only those bytes are replaced, inserted or deleted; every other byte stays;
//   3. toml11 parses the result to VALIDATE it: [scheds.scx_gamer] must hold exactly what was
//      meant, and everything outside it must parse to the same values as before.
// Any surprise (the input does not parse, the section is an inline or dotted table, validation
// fails) throws Error and returns nothing to write.
//
// A section we add is appended at the end of the file below a marker comment; removing it takes
// the marker and the blank line we put before it, so add-then-remove gives the same bytes back.
// The one thing the text cannot tell afterwards is whether we had to end an unterminated last
// line first: the caller remembers that (added_final_newline) and passes it back on removal.
//
// scx_loader itself never reads [scheds.scx_gamer] (scx_gamer is not in its closed scheduler
// list), but it does parse it: `<name>_mode` arrays of strings are all it accepts, and that is
// all we write. We never write `default_sched` (naming scx_gamer there breaks scx_loader).
#pragma once

#include "tuning/profiles.h"

#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

// The comment line above a section we added; it marks the section as ours.
inline constexpr std::string_view kGamerSectionMarker =
    "# scx_gamer profiles: added by `scx_gamer config install`, removed by `scx_gamer config "
    "uninstall`";

struct NamedFlags {
    std::string name;               // profile name, e.g. "gaming" (key "gaming_mode")
    std::vector<std::string> flags; // canonical flags
    bool operator==(const NamedFlags&) const = default;
};

// The five scx_loader modes of a profile set, in scx_loader's key order, with canonical flags.
std::vector<NamedFlags> mode_profiles(const ProfileSet& profiles);

// Whether the text has a [scheds.scx_gamer] table. Throws Error (file:line:col) if it does not
// parse.
bool has_gamer_section(std::string_view text, const std::string& source_name);
// Whether that table is one we added (our marker comment sits right above its header).
bool has_our_gamer_section(std::string_view text, const std::string& source_name);

// Sets each profile's `<name>_mode` key: existing values are replaced in place (the key's
// spelling and any trailing comment stay), new keys go after the section's last key, other keys
// are untouched. Without a section, appends one (marker, header, keys) at the end of the file.
// Throws FlagError for invalid flags, Error for an invalid name or file.
std::string set_gamer_profiles(std::string_view text, const std::vector<NamedFlags>& profiles,
                               const std::string& source_name);

// Removes the keys of these profiles from the section (their whole lines).
std::string remove_gamer_profiles(std::string_view text, const std::vector<std::string>& names,
                                  const std::string& source_name);

// Removes the section: its header, its keys, and our marker and separating blank line if there.
// Comments after the last key stay (they usually introduce the next section). If
// added_final_newline, the final newline set_gamer_profiles() had to add is removed again.
std::string remove_gamer_section(std::string_view text, const std::string& source_name,
                                 bool added_final_newline = false);

// Whether appending a section to this text must first end its last line.
bool lacks_final_newline(std::string_view text);

} // namespace scx_gamer
