// SPDX-License-Identifier: GPL-2.0-only
// The collected windows, one JSON-lines file per game key:
//
//   STATE_DIR/samples/KEY.jsonl     the current file, appended to
//   STATE_DIR/samples/KEY.jsonl.1   the previous one, after rotation
//
// One line per window, a JSON object with the schema version "v" (kSampleSchema), the window's
// end time, the game, the tunables in force and what was measured (docs/learned-profiles.md
// lists the fields). Lines are only ever appended, each with a single write(2) of the whole
// line, so a crash leaves at most one torn last line; the reader skips lines that do not parse
// (with a warning naming file and line) and the writer starts a fresh line after a torn one.
//
// Durability: fdatasync(2) after every sync_every lines (default 12, one minute of 5 s windows)
// and when the writer closes (the game exited). A power cut loses at most those windows, never
// an earlier line.
//
// Size bound: before a line would take KEY.jsonl past max_bytes it is renamed to KEY.jsonl.1
// (replacing the older one) and a new file starts, so a key uses at most about 2 x max_bytes.
#pragma once

#include "ml/window.h"
#include "tuning/flags.h"
#include "util/unique_fd.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer::ml {

inline constexpr int kSampleSchema = 1;

struct SampleRecord {
    std::string time; // end of the window, UTC, "2026-11-26T19:00:05Z"
    std::string key;
    std::string game;
    FlagValues tunables; // the searched tunables in force during the window (all of them)
    bool base = false;   // tunables are those of the base profile (no learned profile applied)
    std::string role;    // "collect", or the autotuner's role ("candidate", "verify-start"...)
    WindowMetrics metrics;

    bool operator==(const SampleRecord&) const = default;
};

// One line of JSON, without the newline.
std::string to_json_line(const SampleRecord& record);
// Throws Error saying what is wrong (not JSON, another schema version, a bad field).
SampleRecord from_json_line(std::string_view line);

std::filesystem::path samples_dir(const std::filesystem::path& state_dir);
std::filesystem::path samples_path(const std::filesystem::path& state_dir, const std::string& key);

struct StoreLimits {
    std::uintmax_t max_bytes = std::uintmax_t{4} << 20;
    unsigned sync_every = 12;
};

// Appends the windows of one game to its file. Not copyable; the file is synced when it closes.
class SampleWriter {
  public:
    // Creates STATE_DIR/samples (0755) if needed. Throws Error naming the path and the reason.
    SampleWriter(const std::filesystem::path& state_dir, const std::string& key,
                 StoreLimits limits = {});
    ~SampleWriter();
    SampleWriter(const SampleWriter&) = delete;
    SampleWriter& operator=(const SampleWriter&) = delete;

    // Throws Error; the file then holds whole lines only (a failed write is not retried).
    void append(const SampleRecord& record);
    void sync();
    const std::filesystem::path& path() const { return path_; }

  private:
    void open();
    void rotate();

    std::filesystem::path path_;
    StoreLimits limits_;
    UniqueFd fd_;
    std::uintmax_t size_ = 0;
    unsigned unsynced_ = 0;
};

struct SampleLoad {
    std::vector<SampleRecord> records; // oldest first (the rotated file before the current one)
    std::vector<std::string> warnings; // "FILE:LINE: why the line was skipped"
};

// Every readable window of one key.
SampleLoad read_samples(const std::filesystem::path& state_dir, const std::string& key);
// The keys that have collected windows, sorted.
std::vector<std::string> sample_keys(const std::filesystem::path& state_dir);

// "2026-11-26T19:00:05Z" for a time.
std::string utc_timestamp(std::chrono::system_clock::time_point time);

} // namespace scx_gamer::ml
