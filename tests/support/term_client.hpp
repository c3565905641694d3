// A tiny terminal client for the front-end tests: sends keys, collects what the terminal
// writes (telnet IAC sequences removed) and waits for text with a deadline.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace vpdnd::test {

class TermClient {
 public:
  explicit TermClient(int fd = -1) : fd_(fd) {}
  void set_fd(int fd) { fd_ = fd; }
  int fd() const { return fd_; }

  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Sends `keys`, then waits for `text` as expect() does.
  bool sends(std::string_view keys, std::string_view text,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    return send(keys) && expect(text, timeout);
  }

  // Waits until `text` appears after the read mark; on success the mark moves past it.
  bool expect(std::string_view text,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto pos = buffer_.find(text, mark_);
      if (pos != std::string::npos) {
        mark_ = pos + text.size();
        return true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= end || eof_) return false;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(end - now));
    }
  }

  // Reads whatever arrives within `d`.
  void drain(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    while (!eof_) {
      auto now = std::chrono::steady_clock::now();
      if (now >= end) break;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(end - now));
    }
  }

  // True once the peer closed.
  bool wait_eof(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      auto now = std::chrono::steady_clock::now();
      if (now >= end) return false;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(end - now));
    }
    return true;
  }

  std::string since_mark() const { return buffer_.substr(mark_); }
  const std::string& all() const { return buffer_; }
  void mark_end() { mark_ = buffer_.size(); }
  bool eof() const { return eof_; }

 private:
  void pump(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(1, wait.count())));
    if (r <= 0) return;
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      eof_ = true;
      return;
    }
    for (ssize_t i = 0; i < n; ++i) {
      unsigned char c = static_cast<unsigned char>(buf[i]);
      if (iac_ == 0 && c == 255) {
        iac_ = 1;
        continue;
      }
      if (iac_ == 1) {
        if (c == 255) {
          buffer_.push_back(static_cast<char>(c));
          iac_ = 0;
        } else if (c >= 251 && c <= 254) {
          iac_ = 2;
        } else if (c == 250) {
          iac_ = 3;
        } else {
          iac_ = 0;
        }
        continue;
      }
      if (iac_ == 2) {
        iac_ = 0;
        continue;
      }
      if (iac_ == 3) {
        if (c == 240) iac_ = 0;
        continue;
      }
      buffer_.push_back(static_cast<char>(c));
    }
  }

  int fd_;
  std::string buffer_;
  std::size_t mark_ = 0;
  int iac_ = 0;
  bool eof_ = false;
};

}  // namespace vpdnd::test
