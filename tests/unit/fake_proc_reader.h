// SPDX-License-Identifier: GPL-2.0-only
// Test doubles for ProcReader: a table-backed fake for classification scenarios and a GoogleMock
// mock for checking how readers are called.
#pragma once

#include "games/proc_reader.h"

#include <gmock/gmock.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer::testing {

// One process as /proc would show it; a nullopt field is unreadable (gone, EACCES).
struct FakeProcess {
    std::optional<std::string> comm;
    std::optional<std::string> exe;
    std::optional<std::vector<std::string>> cmdline;
    std::optional<std::vector<std::string>> environment;
    std::optional<pid_t> parent = 1;
    std::optional<uid_t> owner = 0;
};

class FakeProcReader final : public ProcReader {
  public:
    void add(pid_t pid, FakeProcess process) { processes_[pid] = std::move(process); }

    std::optional<std::string> comm(pid_t pid) const override {
        return field(pid, &FakeProcess::comm);
    }
    std::optional<std::string> exe(pid_t pid) const override {
        return field(pid, &FakeProcess::exe);
    }
    std::optional<std::vector<std::string>> cmdline(pid_t pid) const override {
        return field(pid, &FakeProcess::cmdline);
    }
    std::optional<std::vector<std::string>> environment(pid_t pid) const override {
        return field(pid, &FakeProcess::environment);
    }
    std::optional<pid_t> parent(pid_t pid) const override {
        return field(pid, &FakeProcess::parent);
    }
    std::optional<uid_t> owner(pid_t pid) const override { return field(pid, &FakeProcess::owner); }

  private:
    template <typename T>
    std::optional<T> field(pid_t pid, std::optional<T> FakeProcess::*member) const {
        const auto it = processes_.find(pid);
        if (it == processes_.end())
            return std::nullopt;
        return it->second.*member;
    }

    std::map<pid_t, FakeProcess> processes_;
};

class MockProcReader : public ProcReader {
  public:
    MOCK_METHOD(std::optional<std::string>, comm, (pid_t), (const, override));
    MOCK_METHOD(std::optional<std::string>, exe, (pid_t), (const, override));
    MOCK_METHOD(std::optional<std::vector<std::string>>, cmdline, (pid_t), (const, override));
    MOCK_METHOD(std::optional<std::vector<std::string>>, environment, (pid_t), (const, override));
    MOCK_METHOD(std::optional<pid_t>, parent, (pid_t), (const, override));
    MOCK_METHOD(std::optional<uid_t>, owner, (pid_t), (const, override));
};

} // namespace scx_gamer::testing
