// SPDX-License-Identifier: GPL-2.0-only
#include "ml/sample_store.h"

#include "util/error.h"
#include "util/file_read.h"
#include "util/text.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace scx_gamer::ml {
namespace {

using nlohmann::json;

std::string errno_text(int error) {
    return std::strerror(error);
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error) {
    throw Error(path.string() + ": " + what + ": " + errno_text(error));
}

void sync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0)
        fail(dir, "syncing the directory", errno);
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        const ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            fail(path, "appending", errno);
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

json tunables_json(const FlagValues& tunables) {
    json out = json::object();
    for (const auto& entry : tunables.entries()) {
        const std::string name(entry.spec->name);
        if (entry.spec->type() == FlagType::Switch)
            out[name] = entry.value == "true";
        else if (entry.spec->type() == FlagType::Unsigned)
            out[name] = std::stoull(entry.value);
        else
            out[name] = entry.value;
    }
    return out;
}

FlagValues tunables_from_json(const json& object) {
    if (!object.is_object())
        throw Error("\"tunables\" is not an object");
    FlagValues values;
    for (const auto& [name, value] : object.items()) {
        if (value.is_boolean())
            values.set(name, value.get<bool>() ? "true" : "false");
        else if (value.is_number_unsigned())
            values.set(name, std::to_string(value.get<uint64_t>()));
        else if (value.is_string())
            values.set(name, value.get<std::string>());
        else
            throw Error("tunable " + quote_for_message(name) + " has a value of the wrong type");
    }
    return values;
}

template <typename T> T field(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end())
        throw Error(std::string("missing field \"") + name + "\"");
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw Error(std::string("field \"") + name + "\" has the wrong type");
    }
}

void read_file_lines(const std::filesystem::path& path, SampleLoad& load) {
    std::ifstream in(path);
    if (!in)
        return; // missing: nothing collected (yet)
    std::string line;
    for (unsigned number = 1; std::getline(in, line); number++) {
        if (line.empty())
            continue;
        try {
            load.records.push_back(from_json_line(line));
        } catch (const Error& e) {
            load.warnings.push_back(path.string() + ":" + std::to_string(number) +
                                    ": skipped: " + e.what());
        }
    }
}

} // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string to_json_line(const SampleRecord& record) {
    const WindowMetrics& m = record.metrics;
    // Keys in a fixed, readable order; nlohmann's ordered_json keeps insertion order.
    nlohmann::ordered_json out;
    out["v"] = kSampleSchema;
    out["time"] = record.time;
    out["key"] = record.key;
    out["game"] = record.game;
    out["role"] = record.role;
    out["base"] = record.base;
    out["tunables"] = tunables_json(record.tunables);
    out["window_s"] = m.window_s;
    out["wakeups"] = m.wakeups;
    out["p50_us"] = m.p50_us;
    out["p99_us"] = m.p99_us;
    out["p999_us"] = m.p999_us;
    out["miss_fraction"] = m.miss_fraction;
    out["migrations"] = m.migrations;
    out["preempt_kicks"] = m.preempt_kicks;
    out["bg_starve_guard"] = m.bg_starve_guard;
    out["game_enqueued"] = m.game_enqueued;
    out["bg_enqueued"] = m.bg_enqueued;
    out["game_cpu"] = m.game_cpu;
    out["bg_cpu"] = m.bg_cpu;
    out["cpus"] = m.cpus;
    // Replacement keeps a line valid UTF-8 whatever a game's name holds.
    return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

SampleRecord from_json_line(std::string_view line) {
    json in;
    try {
        in = json::parse(line);
    } catch (const json::parse_error&) {
        throw Error("not a JSON object (a torn or corrupt line)");
    }
    if (!in.is_object())
        throw Error("not a JSON object");
    const auto version = field<int>(in, "v");
    if (version != kSampleSchema)
        throw Error("schema version " + std::to_string(version) + " (this scx_gamer reads " +
                    std::to_string(kSampleSchema) + ")");
    SampleRecord record;
    record.time = field<std::string>(in, "time");
    record.key = field<std::string>(in, "key");
    record.game = field<std::string>(in, "game");
    record.role = field<std::string>(in, "role");
    record.base = field<bool>(in, "base");
    const auto tunables = in.find("tunables");
    if (tunables == in.end())
        throw Error("missing field \"tunables\"");
    try {
        record.tunables = tunables_from_json(*tunables);
    } catch (const FlagError& e) {
        throw Error(std::string("tunables: ") + e.what());
    }
    WindowMetrics& m = record.metrics;
    m.window_s = field<double>(in, "window_s");
    m.wakeups = field<uint64_t>(in, "wakeups");
    m.p50_us = field<double>(in, "p50_us");
    m.p99_us = field<double>(in, "p99_us");
    m.p999_us = field<double>(in, "p999_us");
    m.miss_fraction = field<double>(in, "miss_fraction");
    m.migrations = field<uint64_t>(in, "migrations");
    m.preempt_kicks = field<uint64_t>(in, "preempt_kicks");
    m.bg_starve_guard = field<uint64_t>(in, "bg_starve_guard");
    m.game_enqueued = field<uint64_t>(in, "game_enqueued");
    m.bg_enqueued = field<uint64_t>(in, "bg_enqueued");
    m.game_cpu = field<double>(in, "game_cpu");
    m.bg_cpu = field<double>(in, "bg_cpu");
    m.cpus = field<unsigned>(in, "cpus");
    return record;
}

std::filesystem::path samples_dir(const std::filesystem::path& state_dir) {
    return state_dir / "samples";
}

std::filesystem::path samples_path(const std::filesystem::path& state_dir, const std::string& key) {
    return samples_dir(state_dir) / (key + ".jsonl");
}

SampleWriter::SampleWriter(const std::filesystem::path& state_dir, const std::string& key,
                           StoreLimits limits)
    : path_(samples_path(state_dir, key)), limits_(limits) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec)
        throw Error(path_.parent_path().string() + ": creating the directory: " + ec.message());
    open();
}

SampleWriter::~SampleWriter() {
    try {
        sync();
    } catch (const Error&) {
        // Nothing to do about it while closing; the lines written are whole.
    }
}

void SampleWriter::open() {
    fd_ = UniqueFd(
        ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd_)
        fail(path_, "opening", errno);
    struct stat info {};
    if (::fstat(fd_.get(), &info) != 0)
        fail(path_, "reading its size", errno);
    size_ = static_cast<std::uintmax_t>(info.st_size);
    if (size_ == 0)
        return;
    // A crash during the last append can leave a torn line: end it, so the next line is whole.
    char last = '\n';
    UniqueFd reader(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (reader && ::pread(reader.get(), &last, 1, info.st_size - 1) == 1 && last != '\n') {
        write_all(fd_.get(), "\n", path_);
        size_++;
    }
}

void SampleWriter::rotate() {
    sync();
    fd_ = UniqueFd();
    std::filesystem::path rotated = path_;
    rotated += ".1";
    if (::rename(path_.c_str(), rotated.c_str()) != 0)
        fail(path_, "rotating to " + rotated.filename().string(), errno);
    sync_directory(path_.parent_path());
    open();
}

void SampleWriter::append(const SampleRecord& record) {
    const std::string line = to_json_line(record) + "\n";
    if (size_ > 0 && size_ + line.size() > limits_.max_bytes)
        rotate();
    write_all(fd_.get(), line, path_);
    size_ += line.size();
    if (++unsynced_ >= limits_.sync_every)
        sync();
}

void SampleWriter::sync() {
    if (!fd_ || unsynced_ == 0)
        return;
    unsynced_ = 0;
    if (::fdatasync(fd_.get()) != 0)
        fail(path_, "syncing", errno);
}

SampleLoad read_samples(const std::filesystem::path& state_dir, const std::string& key) {
    SampleLoad load;
    std::filesystem::path rotated = samples_path(state_dir, key);
    rotated += ".1";
    read_file_lines(rotated, load);
    read_file_lines(samples_path(state_dir, key), load);
    return load;
}

std::vector<std::string> sample_keys(const std::filesystem::path& state_dir) {
    std::vector<std::string> keys;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(samples_dir(state_dir), ec)) {
        std::string name = entry.path().filename().string();
        for (const std::string_view suffix : {".jsonl.1", ".jsonl"}) {
            if (name.size() > suffix.size() && name.ends_with(suffix)) {
                name.resize(name.size() - suffix.size());
                if (std::find(keys.begin(), keys.end(), name) == keys.end())
                    keys.push_back(name);
                break;
            }
        }
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

} // namespace scx_gamer::ml
