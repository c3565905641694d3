// DOC: the L2TP control engine's own UDP socket (udp.cpp), used by L2tpEngine::open_udp.
// Not for other modules: they include vpdn/engine.hpp only.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "vpdn/engine.hpp"

namespace boost::asio {
class io_context;
}

namespace vpdnd::vpdn::detail {

// Batched UDP socket (netlink::UdpBatchSocket) on an io_context: recvmmsg after each
// readiness wake-up (up to 64 datagrams per call), and sends gathered into sendmmsg: a
// datagram is copied into a pending batch that is flushed when it holds 64 datagrams or
// when the io_context gets to the flush posted by the first one (after the current
// handler, e.g. the receive batch, the TUN read batch or the timer batch that produced
// them); same-size datagrams to one peer in a batch leave as one UDP GSO send, so the
// larger the batch the fewer sends an LCP echo burst over many tunnels takes. A full send
// buffer drops and counts rather than blocking the protocol thread.
class UdpPort final : public DatagramPort {
 public:
  using Receive = std::function<void(const Endpoint&, ByteView)>;
  // Called with each received batch before its datagrams go to on_receive one by one (for
  // read-only prefetching of the state they will touch).
  using Prefetch = std::function<void(std::span<const ByteView>)>;
  UdpPort(boost::asio::io_context& io, Receive on_receive, Prefetch prefetch = {});
  ~UdpPort() override;
  // receive_buffer: SO_RCVBUF in bytes (SO_RCVBUFFORCE as root, else capped by
  // net.core.rmem_max).
  Status<std::string> open(Ipv4 bind, std::uint16_t port, int receive_buffer = 16 << 20);
  void close();
  // Changes the open socket's receive buffer (and the one later opens use).
  void set_receive_buffer(int bytes);
  int receive_buffer() const { return receive_buffer_; }
  void send_to(const Endpoint& to, ByteView datagram) override;
  void send_parts(const Endpoint& to, ByteView head, ByteView body) override;
  Endpoint local() const override;
  std::uint64_t send_errors() const { return send_errors_; }
  // Datagrams the kernel dropped because this port's receive buffer was full (the socket's
  // drop counter, SO_MEMINFO), summed over every socket the port has had.
  std::uint64_t receive_drops() const;

 private:
  void arm();
  void flush();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Receive on_receive_;
  Prefetch prefetch_;
  std::uint64_t send_errors_ = 0;
  int receive_buffer_ = 0;
  std::uint64_t closed_drops_ = 0;  // of the sockets closed before the current one
};

}  // namespace vpdnd::vpdn::detail
