// The login line reader against a client that sends but never reads: every echo and telnet
// answer it would owe such a client is bounded by the line's deadline, so the reader gives
// up instead of blocking its thread in write() for ever.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <thread>

#include "cli/front/io.hpp"

namespace vpdnd::cli::front {
namespace {

using namespace std::chrono;

struct SocketPair {
  int ours = -1, client = -1;
  SocketPair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) ours = sv[0], client = sv[1];
  }
  ~SocketPair() {
    if (ours >= 0) ::close(ours);
    if (client >= 0) ::close(client);
  }
};

// Sends `input` from the client side in a thread (the reader consumes it while we send).
std::thread send_all(int fd, std::string input) {
  return std::thread([fd, input = std::move(input)] {
    std::string_view rest = input;
    while (!rest.empty()) {
      ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  });
}

TEST(KeyReader, EchoToAClientThatNeverReadsEndsAtTheDeadline) {
  std::signal(SIGPIPE, SIG_IGN);  // a stuck writer is unblocked by shutdown: fail, not die
  SocketPair pair;
  ASSERT_GE(pair.ours, 0);
  // Each 80 typed characters and a Ctrl+U owe the client 80 echoes and 80 "\b \b": far more
  // than a socket buffer holds once repeated.
  std::string chunk(80, 'a');
  chunk += '\x15';
  std::string input;
  while (input.size() < 2 * 1024 * 1024) input += chunk;
  std::thread sender = send_all(pair.client, input);

  std::atomic<bool> stop{false};
  KeyReader reader(pair.ours, nullptr, stop);
  auto started = steady_clock::now();
  auto result = std::async(std::launch::async, [&] {
    return reader.line(true, steady_clock::now() + milliseconds(300), 80);
  });
  bool finished = result.wait_for(seconds(10)) == std::future_status::ready;
  if (!finished) ::shutdown(pair.client, SHUT_RDWR);  // unblock the stuck writer
  EXPECT_TRUE(finished) << "the reader blocked writing echoes to a client that never reads";
  EXPECT_FALSE(result.get().has_value());
  EXPECT_LT(steady_clock::now() - started, seconds(10));
  ::shutdown(pair.ours, SHUT_RDWR);
  sender.join();
}

TEST(KeyReader, TelnetAnswersToAClientThatNeverReadsEndAtTheDeadline) {
  std::signal(SIGPIPE, SIG_IGN);
  SocketPair pair;
  ASSERT_GE(pair.ours, 0);
  // IAC DO <option> for options we refuse: each is answered IAC WONT <option>.
  std::string input;
  while (input.size() < 2 * 1024 * 1024) input += "\xff\xfd\x2a";
  std::thread sender = send_all(pair.client, input);

  std::atomic<bool> stop{false};
  TelnetCodec codec;
  KeyReader reader(pair.ours, &codec, stop);
  auto result = std::async(std::launch::async, [&] {
    return reader.line(false, steady_clock::now() + milliseconds(300), 80);
  });
  bool finished = result.wait_for(seconds(10)) == std::future_status::ready;
  if (!finished) ::shutdown(pair.client, SHUT_RDWR);
  EXPECT_TRUE(finished) << "the reader blocked writing telnet answers to a client that never reads";
  EXPECT_FALSE(result.get().has_value());
  ::shutdown(pair.ours, SHUT_RDWR);
  sender.join();
}

TEST(KeyReader, ALineFromAClientThatReadsIsEchoedWhole) {
  SocketPair pair;
  ASSERT_GE(pair.ours, 0);
  ASSERT_EQ(::send(pair.client, "admin\r\n", 7, 0), 7);
  std::atomic<bool> stop{false};
  KeyReader reader(pair.ours, nullptr, stop);
  auto line = reader.line(true, steady_clock::now() + seconds(5), 80);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line, "admin");
  char echoed[16] = {};
  ASSERT_EQ(::recv(pair.client, echoed, sizeof echoed, MSG_DONTWAIT), 7);
  EXPECT_EQ(std::string(echoed, 7), "admin\r\n");
}

}  // namespace
}  // namespace vpdnd::cli::front
