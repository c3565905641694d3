// DOC: byte-level terminal I/O for the front end (internal to cli/front): blocking writes
// that survive EINTR and short writes, the terminal's link to its peer (TerminalIo: a
// descriptor, or an SSH channel read and written directly), and a key/line reader that decodes the
// telnet protocol (TelnetCodec: negotiation answered, subnegotiations parsed, never keys) and
// honours a stop flag and a deadline. The terminal reads every key through it: at login,
// at the prompt, in the `---- More ----` pager and for a question's answer.
// Thread: one reader per terminal thread; no shared state.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli/front/telnet_codec.hpp"

namespace vpdnd::cli::front {

// Writes everything or gives up on error (peer gone). Returns false on error.
bool write_all(int fd, std::string_view data);
// As write_all, but gives up when `deadline` passes: a peer that stops reading cannot hold
// the writer beyond it. Returns false on error or timeout.
bool write_before(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline);
// A listening TCP socket for a terminal server (telnet, SSH): ADDR:PORT (port 0: any free
// one), SO_REUSEADDR, close-on-exec. Sets `fd` and `bound_port`; returns "" or the error,
// naming `service` ("cannot bind telnet to 127.0.0.1:23: ...").
std::string listen_tcp(std::string_view service, const std::string& bind_address,
                       std::uint16_t port, int& fd, std::uint16_t& bound_port);
// Text with '\n' line ends turned into "\r\n" (terminals in raw mode need the CR).
std::string crlf(std::string_view text);

// A terminal's link to its peer: a descriptor (FdIo) or an SSH channel (cli/front/ssh.cpp).
// Used by the terminal's own thread only.
class TerminalIo {
 public:
  virtual ~TerminalIo() = default;
  // What the peer sent, into `buf`, waiting until `deadline` at most: the count of bytes
  // read, 0 when none came by then, nullopt at the end of input or on an error.
  virtual std::optional<std::size_t> read(std::span<char> buf,
                                          std::chrono::steady_clock::time_point deadline) = 0;
  // All of `data`, or false when the peer is gone.
  virtual bool write(std::string_view data) = 0;
  // As write, but also false when the peer has not taken it all by `deadline`.
  virtual bool write_before(std::string_view data,
                            std::chrono::steady_clock::time_point deadline) = 0;
};

// A socket or tty. Reads take one byte at a time, so a reader handing the descriptor on
// (telnet's login to its shell) never keeps keys read ahead.
class FdIo final : public TerminalIo {
 public:
  explicit FdIo(int fd) : fd_(fd) {}
  std::optional<std::size_t> read(std::span<char> buf,
                                  std::chrono::steady_clock::time_point deadline) override;
  bool write(std::string_view data) override { return write_all(fd_, data); }
  bool write_before(std::string_view data,
                    std::chrono::steady_clock::time_point deadline) override {
    return front::write_before(fd_, data, deadline);
  }

 private:
  int fd_;
};

class KeyReader {
 public:
  // `codec`: the connection's telnet codec (answers go to the peer), or null for raw keys.
  KeyReader(TerminalIo& io, TelnetCodec* codec, const std::atomic<bool>& stop)
      : io_(&io), codec_(codec), stop_(&stop) {}
  KeyReader(int fd, TelnetCodec* codec, const std::atomic<bool>& stop)
      : own_io_(std::make_unique<FdIo>(fd)), io_(own_io_.get()), codec_(codec), stop_(&stop) {}

  // Next data byte; nullopt on EOF, error, stop or when `deadline` passes. The LF or NUL a
  // telnet client sends after CR is swallowed, so Enter is one '\r'.
  std::optional<unsigned char> key(std::chrono::steady_clock::time_point deadline);
  // Reads a line (Enter ends it), with simple editing (Backspace, Ctrl+U). Echoes typed
  // characters when `echo`. nullopt as for key(); Ctrl+C/Ctrl+D also abort, and so does an
  // echo or telnet answer that the peer does not read before `deadline`.
  std::optional<std::string> line(bool echo, std::chrono::steady_clock::time_point deadline,
                                  std::size_t max_len = 256);
  // Echo and telnet answers may take this long to write even when the read's deadline is
  // sooner (a shell reads keys in short slices, a peer may be slow to read); 0: the read's
  // deadline bounds them.
  void set_write_grace(std::chrono::milliseconds grace) { write_grace_ = grace; }
  // True once the peer is gone (end of input, a read or write error): no key will come.
  bool closed() const { return closed_ || write_failed_; }

 private:
  std::optional<unsigned char> raw_byte(std::chrono::steady_clock::time_point deadline);
  // Echo and telnet answers: bounded by the read deadline; a failure ends the reader.
  void emit(std::string_view data, std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<FdIo> own_io_;
  TerminalIo* io_;
  TelnetCodec* codec_;
  const std::atomic<bool>* stop_;
  bool after_cr_ = false;
  bool write_failed_ = false;
  bool closed_ = false;
  std::chrono::milliseconds write_grace_{0};
};

}  // namespace vpdnd::cli::front
