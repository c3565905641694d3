// The RFC 5176 Dynamic Authorization Server on the engine's io_context: one non-blocking
// UDP socket, open only while `radius dynamic-author server` is configured; every
// datagram goes through DaeProcessor and its answer (if any) goes straight back.
#include <boost/asio/ip/udp.hpp>
#include <ctime>
#include <memory>

#include "aaa/aaa.hpp"
#include "aaa/radius/dae.hpp"
#include "common/log.hpp"
#include "common/protocol_thread.hpp"

namespace vpdnd::aaa {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;

struct Socket {
  explicit Socket(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  std::array<std::uint8_t, radius::kMaxPacket + 1> buffer{};
  udp::endpoint from;
};

class Server final : public DaeServer {
 public:
  Server(ProtocolThread& engine, DaeSessions& sessions)
      : io_(engine.io()),
        processor_(sessions, [] { return static_cast<std::int64_t>(std::time(nullptr)); }) {}
  ~Server() override { close(); }

  void reconcile(const config::RunningConfig& cfg) override {
    config_ = cfg.dynamic_author;
    if (!config_.enabled) {
      if (socket_) log_info(DebugModule::radius, "RADIUS DAE server stopped");
      close();
      return;
    }
    if (socket_ && port_ == config_.port) return;
    close();
    auto s = std::make_shared<Socket>(io_);
    boost::system::error_code ec;
    s->socket.open(udp::v4(), ec);
    if (!ec) s->socket.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s->socket.bind(udp::endpoint(udp::v4(), config_.port), ec);
    if (!ec) s->socket.non_blocking(true, ec);
    if (ec) {
      log_error(DebugModule::radius, "RADIUS DAE server: UDP port " + std::to_string(config_.port) +
                                         ": " + ec.message());
      return;
    }
    socket_ = s;
    port_ = s->socket.local_endpoint(ec).port();
    log_info(DebugModule::radius,
             "RADIUS DAE server listening on UDP port " + std::to_string(port_));
    receive(s);
  }

  DaeStatistics statistics() const override { return processor_.statistics(); }
  void reset_statistics() override { processor_.reset_statistics(); }
  std::uint16_t port() const override { return socket_ ? port_ : 0; }

 private:
  void close() {
    if (!socket_) return;
    boost::system::error_code ec;
    socket_->socket.close(ec);
    socket_.reset();
    port_ = 0;
  }

  void receive(const std::shared_ptr<Socket>& s) {
    s->socket.async_receive_from(
        asio::buffer(s->buffer), s->from,
        [this, s, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec,
                                                       std::size_t n) {
          // A handler already queued when the server went or its socket was replaced.
          if (alive.expired() || ec == asio::error::operation_aborted || socket_ != s) return;
          if (!ec && s->from.address().is_v4()) {
            auto answer = processor_.handle(config_, Ipv4{s->from.address().to_v4().to_uint()},
                                            s->from.port(),
                                            std::span<const std::uint8_t>(s->buffer.data(), n));
            if (answer) {
              boost::system::error_code send_ec;
              s->socket.send_to(asio::buffer(*answer), s->from, 0, send_ec);
            }
          }
          receive(s);
        });
  }

  asio::io_context& io_;
  radius::DaeProcessor processor_;
  config::DynamicAuthor config_;
  std::shared_ptr<Socket> socket_;
  std::uint16_t port_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<DaeServer> make_dae_server(ProtocolThread& engine, DaeSessions& sessions) {
  return std::make_unique<Server>(engine, sessions);
}

}  // namespace vpdnd::aaa
