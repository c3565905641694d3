#include "cli/front/io.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vpdnd::cli::front {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool write_before(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  while (!data.empty()) {
    // MSG_DONTWAIT: a blocking socket must not block here; a terminal that is not a socket
    // (the console) falls back to a plain write.
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) return write_all(fd, data);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    auto now = steady_clock::now();
    if (now >= deadline) return false;
    pollfd p{fd, POLLOUT, 0};
    auto wait = duration_cast<milliseconds>(deadline - now).count() + 1;
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(wait, 250))) < 0 && errno != EINTR)
      return false;
  }
  return true;
}

void KeyReader::emit(std::string_view data, std::chrono::steady_clock::time_point deadline) {
  deadline = std::max(deadline, std::chrono::steady_clock::now() + write_grace_);
  if (!write_failed_ && !io_->write_before(data, deadline)) write_failed_ = true;
}

std::optional<std::size_t> FdIo::read(std::span<char> buf,
                                      std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  if (buf.empty()) return 0;
  auto wait = duration_cast<milliseconds>(deadline - steady_clock::now()).count() + 1;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(wait, 0, 60'000)));
  if (r < 0) return errno == EINTR ? std::optional<std::size_t>(0) : std::nullopt;
  if (r == 0) return 0;
  ssize_t n = ::read(fd_, buf.data(), 1);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return std::nullopt;
  return 1;
}

std::string listen_tcp(std::string_view service, const std::string& bind_address,
                       std::uint16_t port, int& fd, std::uint16_t& bound_port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, bind_address.c_str(), &addr.sin_addr) != 1)
    return "invalid " + std::string(service) + " bind address '" + bind_address + "'";
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return std::string("socket: ") + std::strerror(errno);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    std::string err = "cannot bind " + std::string(service) + " to " + bind_address + ":" +
                      std::to_string(port) + ": " + std::strerror(errno);
    ::close(s);
    return err;
  }
  if (::listen(s, 32) < 0) {
    std::string err = std::string("listen: ") + std::strerror(errno);
    ::close(s);
    return err;
  }
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  fd = s;
  bound_port = ntohs(addr.sin_port);
  return {};
}

std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

std::optional<unsigned char> KeyReader::raw_byte(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  for (;;) {
    if (stop_->load() || write_failed_ || closed_) return std::nullopt;
    auto now = steady_clock::now();
    if (now >= deadline) return std::nullopt;
    // Wait in slices so that stop() is noticed promptly.
    char c = 0;
    auto n = io_->read(std::span<char>(&c, 1), std::min(deadline, now + milliseconds(250)));
    if (!n) {
      closed_ = true;
      return std::nullopt;
    }
    if (*n == 1) return static_cast<unsigned char>(c);
  }
}

std::optional<unsigned char> KeyReader::key(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto b = raw_byte(deadline);
    if (!b) return std::nullopt;
    unsigned char c = *b;
    if (codec_) {
      TelnetCodec::Output out;
      codec_->feed(std::string_view(reinterpret_cast<const char*>(&c), 1), out);
      if (!out.reply.empty()) emit(out.reply, deadline);
      if (out.keys.empty()) continue;
      c = static_cast<unsigned char>(out.keys[0]);  // one byte in, at most one key out
    }
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n' || c == '\0') continue;
    }
    if (c == '\r') after_cr_ = true;
    return c;
  }
}

std::optional<std::string> KeyReader::line(bool echo,
                                           std::chrono::steady_clock::time_point deadline,
                                           std::size_t max_len) {
  std::string text;
  for (;;) {
    auto k = key(deadline);
    if (!k) return std::nullopt;
    unsigned char c = *k;
    if (c == '\r' || c == '\n') {
      emit("\r\n", deadline);
      return write_failed_ ? std::nullopt : std::optional<std::string>(text);
    }
    if (c == 3 || c == 4) return std::nullopt;  // Ctrl+C, Ctrl+D
    if (c == 8 || c == 127) {
      if (!text.empty()) {
        text.pop_back();
        if (echo) emit("\b \b", deadline);
      }
      continue;
    }
    if (c == 21) {  // Ctrl+U
      if (echo)
        for (std::size_t i = 0; i < text.size(); ++i) emit("\b \b", deadline);
      text.clear();
      continue;
    }
    if (c < 32 || text.size() >= max_len) continue;
    text.push_back(static_cast<char>(c));
    if (echo) emit(std::string_view(reinterpret_cast<const char*>(&c), 1), deadline);
  }
}

}  // namespace vpdnd::cli::front
