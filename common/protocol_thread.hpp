// DOC: the protocol thread (class ProtocolThread). One io_context, run by one thread, owns all
// protocol and configuration state. Other threads (terminal sessions, RADIUS workers) never touch
// that state: they call ProtocolThread::call(), which posts the function onto the protocol thread
// and blocks the caller until it has run, or ProtocolThread::post() for fire-and-forget results.
// Called from the protocol thread itself, call() runs inline (no self-deadlock).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <type_traits>

namespace vpdnd {

class ProtocolThread {
 public:
  ProtocolThread() = default;
  ProtocolThread(const ProtocolThread&) = delete;
  ProtocolThread& operator=(const ProtocolThread&) = delete;
  ~ProtocolThread() { stop(); }

  boost::asio::io_context& io() { return io_; }

  // Runs the loop on a new thread.
  void start() {
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { run_here(); });
  }
  // Runs the loop on the calling thread until stop() (for main() or tests).
  void run_here() {
    protocol_thread_id_.store(std::this_thread::get_id());
    io_.run();
  }
  void stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
  }
  bool on_protocol_thread() const {
    return std::this_thread::get_id() == protocol_thread_id_.load();
  }
  bool running() const { return !io_.stopped(); }

  template <class F>
  void post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }

  // Runs f on the protocol thread and returns its result; rethrows its exception.
  template <class F>
  auto call(F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (on_protocol_thread()) return f();
    std::promise<R> done;
    auto result = done.get_future();
    boost::asio::post(io_, [&f, &done] {
      try {
        if constexpr (std::is_void_v<R>) {
          f();
          done.set_value();
        } else {
          done.set_value(f());
        }
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> protocol_thread_id_{};
};

}  // namespace vpdnd
