// SPDX-License-Identifier: GPL-2.0-only
#include "ml/window.h"

#include "stats/latency.h"
#include "util/file_read.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

namespace scx_gamer::ml {
namespace {

// end - start of a cumulative counter; nullopt when it went backwards.
std::optional<uint64_t> grown(uint64_t start, uint64_t end) {
    if (end < start)
        return std::nullopt;
    return end - start;
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            i++;
        const std::size_t begin = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t')
            i++;
        if (i > begin)
            out.push_back(text.substr(begin, i - begin));
    }
    return out;
}

std::optional<uint64_t> number(std::string_view word) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (error != std::errc{} || end != word.data() + word.size())
        return std::nullopt;
    return value;
}

} // namespace

double interpolated_quantile_ns(std::span<const uint64_t> histogram, double quantile) {
    const uint64_t total = std::accumulate(histogram.begin(), histogram.end(), uint64_t{0});
    if (total == 0)
        return 0;
    const double rank = std::clamp(quantile, 0.0, 1.0) * static_cast<double>(total);
    double seen = 0;
    for (unsigned i = 0; i < histogram.size(); i++) {
        if (histogram[i] == 0)
            continue;
        const double count = static_cast<double>(histogram[i]);
        if (seen + count >= rank) {
            const double floor = static_cast<double>(latency_bucket_floor_ns(i));
            if (i + 1 >= histogram.size())
                return floor; // open-ended: nothing to interpolate towards
            const double ceiling = static_cast<double>(latency_bucket_floor_ns(i + 1));
            return floor + (ceiling - floor) * std::max(0.0, rank - seen) / count;
        }
        seen += count;
    }
    return static_cast<double>(
        latency_bucket_floor_ns(static_cast<unsigned>(histogram.size() - 1)));
}

double fraction_above(std::span<const uint64_t> histogram, double threshold_ns) {
    const uint64_t total = std::accumulate(histogram.begin(), histogram.end(), uint64_t{0});
    if (total == 0)
        return 0;
    double above = 0;
    for (unsigned i = 0; i < histogram.size(); i++) {
        const double floor = static_cast<double>(latency_bucket_floor_ns(i));
        const bool last = i + 1 >= histogram.size();
        const double ceiling = last ? floor : static_cast<double>(latency_bucket_floor_ns(i + 1));
        const double count = static_cast<double>(histogram[i]);
        if (floor >= threshold_ns)
            above += count;
        else if (!last && ceiling > threshold_ns)
            above += count * (ceiling - threshold_ns) / (ceiling - floor);
    }
    return above / static_cast<double>(total);
}

std::optional<WindowMetrics> measure_window(const Reading& start, const Reading& end,
                                            long ticks_per_second, double deadline_us) {
    if (end.monotonic_ns <= start.monotonic_ns || ticks_per_second <= 0 ||
        start.latency_histogram.size() != end.latency_histogram.size())
        return std::nullopt;
    WindowMetrics m;
    m.window_s = static_cast<double>(end.monotonic_ns - start.monotonic_ns) / 1e9;
    m.cpus = std::max(1u, end.online_cpus);

    std::array<uint64_t, GAMER_NR_STATS> stats{};
    for (std::size_t i = 0; i < stats.size(); i++) {
        auto delta = grown(start.stats[i], end.stats[i]);
        if (!delta)
            return std::nullopt;
        stats[i] = *delta;
    }
    std::vector<uint64_t> histogram(end.latency_histogram.size());
    for (std::size_t i = 0; i < histogram.size(); i++) {
        auto delta = grown(start.latency_histogram[i], end.latency_histogram[i]);
        if (!delta)
            return std::nullopt;
        histogram[i] = *delta;
    }
    m.wakeups = std::accumulate(histogram.begin(), histogram.end(), uint64_t{0});
    m.p50_us = interpolated_quantile_ns(histogram, 0.50) / 1000;
    m.p99_us = interpolated_quantile_ns(histogram, 0.99) / 1000;
    m.p999_us = interpolated_quantile_ns(histogram, 0.999) / 1000;
    m.miss_fraction = fraction_above(histogram, deadline_us * 1000);
    m.migrations = stats[GAMER_STAT_MIGRATIONS];
    m.preempt_kicks = stats[GAMER_STAT_PREEMPT_KICKS];
    m.bg_starve_guard = stats[GAMER_STAT_BG_STARVE_GUARD];
    m.game_enqueued = stats[GAMER_STAT_GAME_ENQUEUED];
    m.bg_enqueued = stats[GAMER_STAT_BG_ENQUEUED];

    const double tick_s = 1.0 / static_cast<double>(ticks_per_second);
    if (start.game_cpu_ticks && end.game_cpu_ticks && *end.game_cpu_ticks >= *start.game_cpu_ticks)
        m.game_cpu =
            static_cast<double>(*end.game_cpu_ticks - *start.game_cpu_ticks) * tick_s / m.window_s;
    if (end.cpu.busy >= start.cpu.busy) {
        const double busy =
            static_cast<double>(end.cpu.busy - start.cpu.busy) * tick_s / m.window_s;
        // Tick accounting is coarse: the game's share can exceed the total by a tick or so.
        m.bg_cpu = std::max(0.0, busy - m.game_cpu);
    }
    return m;
}

std::optional<uint64_t> parse_pid_stat_cpu_ticks(std::string_view text) {
    const auto paren = text.rfind(')');
    if (paren == std::string_view::npos)
        return std::nullopt;
    // After ") ": field 3 (state) is the first word; utime is field 14, stime field 15.
    const auto fields = words(text.substr(paren + 1));
    constexpr std::size_t kUtime = 14 - 3, kStime = 15 - 3;
    if (fields.size() <= kStime)
        return std::nullopt;
    const auto utime = number(fields[kUtime]);
    const auto stime = number(fields[kStime]);
    if (!utime || !stime)
        return std::nullopt;
    return *utime + *stime;
}

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
    const auto line_end = text.find('\n');
    const auto fields = words(text.substr(0, line_end));
    // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
    if (fields.size() < 8 || fields[0] != "cpu")
        return std::nullopt;
    CpuTimes times;
    for (std::size_t i = 1; i < fields.size() && i <= 8; i++) {
        const auto value = number(fields[i]);
        if (!value)
            return std::nullopt;
        times.total += *value;
        if (i != 4 && i != 5) // idle, iowait
            times.busy += *value;
    }
    return times;
}

} // namespace scx_gamer::ml

namespace scx_gamer::ml {

void read_cpu_times(Reading& reading, uint32_t pid, const std::filesystem::path& proc_root) {
    constexpr std::size_t kMaxStatBytes = std::size_t{64} * 1024; // the first line is all we need
    if (auto text = read_file_prefix(proc_root / std::to_string(pid) / "stat", 4096))
        reading.game_cpu_ticks = parse_pid_stat_cpu_ticks(*text);
    if (auto text = read_file_prefix(proc_root / "stat", kMaxStatBytes))
        if (auto times = parse_proc_stat(*text))
            reading.cpu = *times;
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    reading.online_cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 1;
}

} // namespace scx_gamer::ml
