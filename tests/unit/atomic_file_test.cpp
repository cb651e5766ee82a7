// SPDX-License-Identifier: GPL-2.0-only
#include "temp_dir.h"
#include "tmpfs_mount.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

std::string read(const fs::path& path) {
    return read_config_file(path).value_or("<missing>");
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

ino_t inode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

// 2026-03-04 05:06:07 UTC, with TZ=UTC so the backup name does not depend on the machine.
std::chrono::system_clock::time_point fixed_time() {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    return std::chrono::system_clock::from_time_t(1772600767);
}

// ---- reading ----

TEST(ReadConfigFile, MissingIsNulloptAndContentIsExact) {
    TempDir dir;
    EXPECT_EQ(read_config_file(dir.path() / "absent"), std::nullopt);
    dir.write("crlf", "a=1\r\nb=2");
    EXPECT_EQ(read_config_file(dir.path() / "crlf"), "a=1\r\nb=2");
}

TEST(ReadConfigFile, DirectoryIsAnErrorNamingThePath) {
    TempDir dir;
    EXPECT_THAT(error_of([&] { read_config_file(dir.path()); }),
                HasSubstr("cannot read " + dir.path().string() + ": not a regular file"));
}

// ---- writing ----

TEST(WriteFileAtomically, CreatesWithTheGivenModeAndLeavesNoTempFile) {
    TempDir dir;
    const auto path = dir.path() / "new.conf";
    write_file_atomically(path, "x\n", 0640);
    EXPECT_EQ(read(path), "x\n");
    EXPECT_EQ(mode_of(path), 0640u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"new.conf"});
}

TEST(WriteFileAtomically, ReplacesKeepingTheModeOfTheOriginal) {
    TempDir dir;
    const auto path = dir.write("scx", "old\n");
    ::chmod(path.c_str(), 0600);
    const ino_t before = inode_of(path);
    write_file_atomically(path, "new\n");
    EXPECT_EQ(read(path), "new\n");
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_NE(inode_of(path), before) << "replaced by rename, not rewritten in place";
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"scx"});
}

TEST(WriteFileAtomically, KeepsTheOwnerOfTheOriginal) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "only root can give a file to another user";
    TempDir dir;
    const auto path = dir.write("scx", "old\n");
    ASSERT_EQ(::chown(path.c_str(), 1234, 5678), 0);
    write_file_atomically(path, "new\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
    const auto backup = make_backup(path);
    ASSERT_EQ(::stat(backup.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u) << "the backup too";
}

TEST(WriteFileAtomically, RefusesToReplaceASymlink) {
    TempDir dir;
    const auto target = dir.write("target", "t\n");
    fs::create_symlink(target, dir.path() / "link");
    EXPECT_THAT(error_of([&] { write_file_atomically(dir.path() / "link", "x"); }),
                HasSubstr("it is a symbolic link"));
    EXPECT_EQ(read(target), "t\n");
}

TEST(WriteFileAtomically, MissingDirectoryIsAnErrorWithPathAndReason) {
    TempDir dir;
    const auto path = dir.path() / "no-such-dir" / "file";
    EXPECT_THAT(error_of([&] { write_file_atomically(path, "x"); }),
                HasSubstr(path.string() + ": No such file or directory"));
}

// A tiny tmpfs shows what happens when the disk is full or /etc is read-only. Mounting needs
// root (CAP_SYS_ADMIN); elsewhere these tests are skipped.
class SmallFileSystem : public ::testing::Test {
  protected:
    void SetUp() override {
        mount_point_ = dir_.path() / "mnt";
        fs::create_directory(mount_point_);
        tmpfs_.emplace(mount_point_, "16k");
        if (!tmpfs_->mounted())
            GTEST_SKIP() << "cannot mount a tmpfs (not root?)";
    }
    void remount_read_only() { ASSERT_TRUE(tmpfs_->make_read_only()); }

    TempDir dir_;
    fs::path mount_point_;
    std::optional<testing::TmpfsMount> tmpfs_;
};

TEST_F(SmallFileSystem, DiskFullLeavesTheOriginalAndNoTempFile) {
    const auto path = mount_point_ / "scx";
    write_file_atomically(path, "SCX_SCHEDULER=scx_cosmos\n");
    const std::string huge(std::size_t{64} * 1024, 'x');
    EXPECT_THAT(error_of([&] { write_file_atomically(path, huge); }),
                HasSubstr("No space left on device"));
    EXPECT_EQ(read(path), "SCX_SCHEDULER=scx_cosmos\n");
    EXPECT_EQ(names_in(mount_point_), std::vector<std::string>{"scx"});
}

TEST_F(SmallFileSystem, ReadOnlyIsAnErrorNamingTheFile) {
    const auto path = mount_point_ / "scx";
    write_file_atomically(path, "old\n");
    remount_read_only();
    EXPECT_THAT(error_of([&] { write_file_atomically(path, "new\n"); }),
                HasSubstr(path.string() + ": Read-only file system"));
    EXPECT_EQ(read(path), "old\n");
}

// ---- backups ----

TEST(BackupName, IsTimestampedInLocalTime) {
    EXPECT_EQ(backup_name("scx", fixed_time()), "scx.bak.20260304-050607");
}

TEST(MakeBackup, NeverOverwritesAnOlderBackup) {
    TempDir dir;
    const auto path = dir.write("scx", "one\n");
    ::chmod(path.c_str(), 0640);
    const auto now = fixed_time();
    EXPECT_EQ(make_backup(path, now), dir.path() / "scx.bak.20260304-050607");
    write_file_atomically(path, "two\n");
    EXPECT_EQ(make_backup(path, now), dir.path() / "scx.bak.20260304-050607-1");
    write_file_atomically(path, "three\n");
    EXPECT_EQ(make_backup(path, now), dir.path() / "scx.bak.20260304-050607-2");

    EXPECT_EQ(read(dir.path() / "scx.bak.20260304-050607"), "one\n");
    EXPECT_EQ(read(dir.path() / "scx.bak.20260304-050607-1"), "two\n");
    EXPECT_EQ(read(dir.path() / "scx.bak.20260304-050607-2"), "three\n");
    EXPECT_EQ(mode_of(dir.path() / "scx.bak.20260304-050607"), 0640u);
    EXPECT_EQ(names_in(dir.path()).size(), 4u) << "no temp file left";
}

// ---- applying several changes ----

TEST(ApplyFileChanges, ChangingNothingWritesNothingAndMakesNoBackup) {
    TempDir dir;
    const auto path = dir.write("scx", "same\n");
    const ino_t before = inode_of(path);
    const auto applied = apply_file_changes({{path, "same\n", "same\n"}});
    EXPECT_TRUE(applied.changed.empty());
    EXPECT_TRUE(applied.backups.empty());
    EXPECT_EQ(inode_of(path), before);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"scx"});
}

TEST(ApplyFileChanges, WritesCreatesRemovesAndBacksUp) {
    TempDir dir;
    const auto edited = dir.write("edited", "old\n");
    const auto removed = dir.write("removed", "bye\n");
    const auto created = dir.path() / "sub" / "dir" / "created";
    const auto applied = apply_file_changes({
        {edited, "old\n", "new\n"},
        {created, std::nullopt, "hello\n"},
        {removed, "bye\n", std::nullopt},
    });
    EXPECT_EQ(applied.changed, (std::vector<fs::path>{edited, created, removed}));
    EXPECT_EQ(read(edited), "new\n");
    EXPECT_EQ(read(created), "hello\n");
    EXPECT_FALSE(fs::exists(removed));
    ASSERT_EQ(applied.backups.size(), 2u);
    EXPECT_EQ(read(applied.backups[0]), "old\n");
    EXPECT_EQ(read(applied.backups[1]), "bye\n");
}

TEST(ApplyFileChanges, AFailureMidwayRevertsEverythingDoneBefore) {
    for (std::size_t fail_after = 0; fail_after < 3; ++fail_after) {
        TempDir dir;
        const auto edited = dir.write("edited", "old\n");
        const auto removed = dir.write("removed", "bye\n");
        const auto created = dir.path() / "sub" / "created";
        EXPECT_THAT(error_of([&] {
                        apply_file_changes({{edited, "old\n", "new\n"},
                                            {created, std::nullopt, "hello\n"},
                                            {removed, "bye\n", std::nullopt}},
                                           fail_after);
                    }),
                    HasSubstr("simulated failure"))
            << "fail_after=" << fail_after;
        EXPECT_EQ(read(edited), "old\n");
        EXPECT_EQ(read(removed), "bye\n");
        EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"edited", "removed"}))
            << "no backup, no created file or directory left; fail_after=" << fail_after;
    }
}

TEST(ApplyFileChanges, RefusesWhenAFileChangedSinceItWasRead) {
    TempDir dir;
    const auto first = dir.write("first", "a\n");
    const auto second = dir.write("second", "edited meanwhile\n");
    EXPECT_THAT(error_of([&] {
                    apply_file_changes({{first, "a\n", "A\n"}, {second, "b\n", "B\n"}});
                }),
                HasSubstr(second.string() + " changed while scx_gamer was editing it"));
    EXPECT_EQ(read(first), "a\n");
    EXPECT_EQ(read(second), "edited meanwhile\n");
    EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"first", "second"}));
}

} // namespace
} // namespace scx_gamer
