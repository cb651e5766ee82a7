// SPDX-License-Identifier: GPL-2.0-only
// Exceptions thrown by the daemon's rooms. Every message carries its context (which flag, which
// file and line, which path) so that a caller can log what() as-is.
#pragma once

#include <stdexcept>
#include <string>

namespace scx_gamer {

// Something went wrong that is not the user's fault: an unreadable sysfs file, a broken machine.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The user gave a bad flag or value (command line, ApplyFlags, a profile, an install script).
// what() is one line that names the flag and says why, e.g.
// "--slice-us: 5 is out of range [100, 100000]".
class FlagError : public Error {
  public:
    using Error::Error;
};

// The game rules file is invalid; what() is "file:line:col: reason".
class RulesError : public Error {
  public:
    using Error::Error;
};

} // namespace scx_gamer
