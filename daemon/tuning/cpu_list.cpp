// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/cpu_list.h"

#include "util/error.h"
#include "util/file_read.h"
#include "util/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace scx_gamer {
namespace {

[[noreturn]] void throw_bad_list(std::string_view text, const std::string& why) {
    throw FlagError("invalid CPU list " + quote_for_message(text) + ": " + why);
}

int parse_cpu_id(std::string_view list, std::string_view id) {
    if (id.empty())
        throw_bad_list(list, "a CPU number is missing");
    if (id.size() > 1 && id.front() == '0')
        throw_bad_list(list, std::string(id) + " has a leading zero");
    int cpu = 0;
    const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), cpu);
    if (error == std::errc::result_out_of_range || (error == std::errc{} && cpu > kMaxCpuId))
        throw_bad_list(list, "CPU " + std::string(id) + " is above " + std::to_string(kMaxCpuId));
    if (error != std::errc{} || end != id.data() + id.size())
        throw_bad_list(list, quote_for_message(id) + " is not a CPU number");
    return cpu;
}

void append_item(std::string_view list, std::string_view item, std::vector<int>& cpus) {
    const auto dash = item.find('-');
    const int first = parse_cpu_id(list, item.substr(0, dash));
    int last = first;
    if (dash != std::string_view::npos) {
        const auto high = item.substr(dash + 1);
        if (high.empty())
            throw_bad_list(list, "range " + std::string(item) + " has no end");
        last = parse_cpu_id(list, high);
        if (last < first)
            throw_bad_list(list, "range " + std::string(item) + " is backwards");
    }
    for (int cpu = first; cpu <= last; ++cpu)
        cpus.push_back(cpu);
}

// "cpu12" -> 12; nullopt for "cpufreq", "cpuidle", "cpu01"...
std::optional<int> cpu_dir_id(std::string_view name) {
    if (!name.starts_with("cpu"))
        return std::nullopt;
    name.remove_prefix(3);
    int id = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (name.empty() || error != std::errc{} || end != name.data() + name.size() ||
        (name.size() > 1 && name.front() == '0') || id > kMaxCpuId)
        return std::nullopt;
    return id;
}

std::vector<int> online_cpus(const std::filesystem::path& cpu_dir) {
    if (const auto online = read_sysfs_line(cpu_dir / "online")) {
        try {
            return parse_cpu_list(*online);
        } catch (const FlagError& error) {
            throw Error((cpu_dir / "online").string() + ": " + error.what());
        }
    }

    // No "online" file (an unusual kernel or a test tree): every cpuN directory counts.
    std::vector<int> cpus;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(cpu_dir, error)) {
        if (const auto id = cpu_dir_id(entry.path().filename().string()))
            cpus.push_back(*id);
    }
    std::sort(cpus.begin(), cpus.end());
    return cpus;
}

std::uint64_t read_capacity(const std::filesystem::path& cpu_dir, int cpu) {
    const auto dir = cpu_dir / ("cpu" + std::to_string(cpu));
    for (const auto& file : {dir / "cpu_capacity", dir / "cpufreq" / "cpuinfo_max_freq"}) {
        const auto line = read_sysfs_line(file);
        std::uint64_t value = 0;
        if (line && !line->empty() &&
            std::from_chars(line->data(), line->data() + line->size(), value).ec == std::errc{} &&
            value > 0)
            return value;
    }
    return 0;
}

std::vector<int> all_of(const std::vector<CpuCapacity>& cpus) {
    std::vector<int> ids;
    ids.reserve(cpus.size());
    for (const auto& cpu : cpus)
        ids.push_back(cpu.cpu);
    return ids;
}

// CPUs whose capacity is within kCapacityTolerance of the fastest or of the slowest CPU.
std::vector<int> capacity_band(const std::vector<CpuCapacity>& cpus, bool fastest) {
    const bool any_unknown =
        std::any_of(cpus.begin(), cpus.end(), [](const auto& c) { return c.capacity == 0; });
    if (any_unknown)
        return all_of(cpus);

    const auto [slowest_it, fastest_it] =
        std::minmax_element(cpus.begin(), cpus.end(),
                            [](const auto& a, const auto& b) { return a.capacity < b.capacity; });
    const double reference = static_cast<double>((fastest ? fastest_it : slowest_it)->capacity);
    std::vector<int> ids;
    for (const auto& cpu : cpus) {
        const double distance = std::abs(static_cast<double>(cpu.capacity) - reference);
        if (distance <= reference * kCapacityTolerance)
            ids.push_back(cpu.cpu);
    }
    return ids;
}

} // namespace

std::vector<int> parse_cpu_list(std::string_view text) {
    if (text.empty())
        throw_bad_list(text, "it is empty");
    std::vector<int> cpus;
    std::string_view rest = text;
    while (true) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        if (item.empty())
            throw_bad_list(text, "it has an empty item");
        append_item(text, item, cpus);
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    std::sort(cpus.begin(), cpus.end());
    const auto duplicate = std::adjacent_find(cpus.begin(), cpus.end());
    if (duplicate != cpus.end())
        throw_bad_list(text, "CPU " + std::to_string(*duplicate) + " is listed twice");
    return cpus;
}

std::string format_cpu_list(std::span<const int> cpus) {
    std::string text;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t end = i;
        while (end + 1 < cpus.size() && cpus[end + 1] == cpus[end] + 1)
            ++end;
        if (!text.empty())
            text += ',';
        text += std::to_string(cpus[i]);
        if (end > i)
            text += '-' + std::to_string(cpus[end]);
        i = end + 1;
    }
    return text;
}

std::vector<CpuCapacity> read_cpu_capacities(const std::filesystem::path& sysfs_root) {
    const auto cpu_dir = sysfs_root / "devices" / "system" / "cpu";
    std::vector<CpuCapacity> cpus;
    for (const int cpu : online_cpus(cpu_dir))
        cpus.push_back({cpu, read_capacity(cpu_dir, cpu)});
    if (cpus.empty())
        throw Error("no CPUs found in " + cpu_dir.string());
    return cpus;
}

std::vector<int> resolve_primary_domain(std::string_view spec,
                                        const std::filesystem::path& sysfs_root) {
    const auto cpus = read_cpu_capacities(sysfs_root);
    if (spec == "all")
        return all_of(cpus);
    if (spec == "performance")
        return capacity_band(cpus, true);
    if (spec == "powersave")
        return capacity_band(cpus, false);

    const auto online = all_of(cpus);
    auto wanted = parse_cpu_list(spec);
    for (const int cpu : wanted) {
        if (!std::binary_search(online.begin(), online.end(), cpu))
            throw FlagError("--primary-domain: CPU " + std::to_string(cpu) +
                            " is not online (online: " + format_cpu_list(online) + ")");
    }
    return wanted;
}

} // namespace scx_gamer
