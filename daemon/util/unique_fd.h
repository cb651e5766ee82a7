// SPDX-License-Identifier: GPL-2.0-only
// The owner of one file descriptor: move-only, closes exactly once.
#pragma once

#include <cerrno>
#include <unistd.h>
#include <utility>

namespace scx_gamer {

class UniqueFd {
  public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() {
        if (fd_ >= 0)
            ::close(fd_);
    }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    // Gives up ownership without closing.
    int release() { return std::exchange(fd_, -1); }
    // Closes now and returns the errno of a failed close (0 on success): on some file systems
    // (NFS) close is where a failed write-back shows up.
    int close_checked() {
        const int rc = ::close(std::exchange(fd_, -1));
        return rc == 0 ? 0 : errno;
    }

  private:
    int fd_;
};

} // namespace scx_gamer
