// SPDX-License-Identifier: GPL-2.0-only
// A small tmpfs over a directory, for tests of a full or read-only /etc: unmounted (lazily)
// when the object goes. Mounting needs root (CAP_SYS_ADMIN); mounted() says whether it worked,
// so a test elsewhere can skip itself.
#pragma once

#include <sys/mount.h>

#include <filesystem>
#include <string>
#include <utility>

namespace scx_gamer::testing {

class TmpfsMount {
  public:
    TmpfsMount(std::filesystem::path directory, std::string size)
        : directory_(std::move(directory)), options_("size=" + std::move(size)) {
        mounted_ = ::mount("tmpfs", directory_.c_str(), "tmpfs", 0, options_.c_str()) == 0;
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    ~TmpfsMount() {
        if (mounted_)
            ::umount2(directory_.c_str(), MNT_DETACH);
    }

    bool mounted() const { return mounted_; }
    // Writes from now on fail with EROFS. False when the remount failed.
    bool make_read_only() const {
        return ::mount("tmpfs", directory_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY,
                       options_.c_str()) == 0;
    }

  private:
    std::filesystem::path directory_;
    std::string options_;
    bool mounted_ = false;
};

} // namespace scx_gamer::testing
