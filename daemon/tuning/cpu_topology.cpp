// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/cpu_topology.h"

#include "tuning/cpu_list.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;

// A sysfs attribute's first line, at most 4 KiB of it (a cpulist of 8192 CPUs in the worst
// layout is ~40 KiB, but a real L3 list is short; a longer one is read cut and then rejected).
std::optional<std::string> read_line(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::string text(4096, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    if (const auto nl = text.find('\n'); nl != std::string::npos)
        text.resize(nl);
    return text;
}

// The CPUs sharing cpu's L3 cache, or nothing when sysfs does not say it well.
std::optional<std::vector<int>> l3_cpus(const fs::path& cpu_dir, int cpu, int nr_cpus) {
    std::error_code ec;
    fs::directory_iterator it(cpu_dir / "cache", ec);
    if (ec)
        return std::nullopt;
    std::vector<fs::path> indices;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec)
            break;
        const std::string name = it->path().filename().string();
        if (name.rfind("index", 0) == 0)
            indices.push_back(it->path());
        if (indices.size() > 64) // a real CPU has about four
            break;
    }
    std::sort(indices.begin(), indices.end());
    for (const fs::path& index : indices) {
        if (read_line(index / "level") != "3")
            continue;
        const auto list = read_line(index / "shared_cpu_list");
        if (!list)
            return std::nullopt;
        try {
            std::vector<int> cpus = parse_cpu_list(*list);
            if (cpus.empty() || cpus.back() >= nr_cpus ||
                !std::binary_search(cpus.begin(), cpus.end(), cpu))
                return std::nullopt;
            return cpus;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

} // namespace

CacheDomains read_cache_domains(int nr_cpus, const fs::path& sysfs_root, uint32_t max_domains) {
    CacheDomains out;
    nr_cpus = std::max(nr_cpus, 0);
    max_domains = std::max<uint32_t>(max_domains, 1);
    out.cpu_llc.assign(static_cast<size_t>(nr_cpus), 0);

    // key of each CPU: the first CPU of its L3 list; -1 while unknown
    std::vector<int> key(static_cast<size_t>(nr_cpus), -1);
    std::vector<std::vector<int>> lists;
    const fs::path base = sysfs_root / "devices/system/cpu";
    for (int cpu = 0; cpu < nr_cpus; cpu++) {
        auto cpus = l3_cpus(base / ("cpu" + std::to_string(cpu)), cpu, nr_cpus);
        if (!cpus)
            continue;
        key[static_cast<size_t>(cpu)] = cpus->front();
        lists.push_back(std::move(*cpus));
    }
    // A CPU without its own entry (offline) joins the first list that names it.
    for (const auto& cpus : lists)
        for (int other : cpus)
            if (key[static_cast<size_t>(other)] < 0)
                key[static_cast<size_t>(other)] = cpus.front();
    std::map<int, uint32_t> index; // key -> domain, in the order of the key
    for (int k : key)
        if (k >= 0)
            index.emplace(k, 0);
    if (index.empty())
        return out;
    uint32_t next = 0;
    for (auto& [k, domain] : index)
        domain = next++ % max_domains;
    for (size_t cpu = 0; cpu < key.size(); cpu++)
        out.cpu_llc[cpu] = key[cpu] < 0 ? 0 : index.at(key[cpu]);
    out.count = std::min<uint32_t>(next, max_domains);
    out.from_l3 = true;
    return out;
}

std::string describe(const CacheDomains& domains) {
    std::string out = std::to_string(domains.count) + " (";
    for (uint32_t d = 0; d < domains.count; d++) {
        std::vector<int> cpus;
        for (size_t cpu = 0; cpu < domains.cpu_llc.size(); cpu++)
            if (domains.cpu_llc[cpu] == d)
                cpus.push_back(static_cast<int>(cpu));
        out += (d ? " | " : "") + format_cpu_list(cpus);
    }
    return out + ")";
}

} // namespace scx_gamer
