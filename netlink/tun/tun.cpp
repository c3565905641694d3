// TUN device: open, batched non-blocking reads, readiness-driven reading on an io_context.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

namespace {
Error sys_error(std::string what) {
  int e = errno;
  return Error{what + ": " + std::strerror(e), e};
}
}  // namespace

// Lives in a shared_ptr so a completion that runs after stop() finds it and sees stopped.
struct TunDevice::Reader : std::enable_shared_from_this<Reader> {
  Reader(boost::asio::io_context& io, int fd, TunDevice* dev, PacketHandler h, std::size_t n)
      : descriptor(io, fd), device(dev), handler(std::move(h)), batch(n) {}
  boost::asio::posix::stream_descriptor descriptor;
  TunDevice* device;
  PacketHandler handler;
  PacketBatch batch;
  bool stopped = false;

  void arm() {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (self->stopped || ec) return;
                            // Drain one batch per wake-up; the next wait returns at once if
                            // more is queued, which keeps other handlers on the loop fair.
                            std::size_t n = self->device->read_batch(self->batch);
                            if (n > 0) self->handler(self->batch);
                            if (!self->stopped) self->arm();
                          });
  }
};

Result<std::unique_ptr<TunDevice>, Error> TunDevice::open(const std::string& name) {
  if (name.size() >= IFNAMSIZ) return unexpected(Error{"TUN name too long: " + name, EINVAL});
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return unexpected(sys_error("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    Error e = sys_error("TUNSETIFF " + name);
    ::close(fd);
    return unexpected(std::move(e));
  }
  std::string actual(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  // The device carries IPv4 users only. Left on, IPv6 autoconfiguration sends router
  // solicitations and MLD reports into it that the data plane can only count as drops.
  // Best effort: the file is absent when the kernel has no IPv6.
  if (int v6 = ::open(("/proc/sys/net/ipv6/conf/" + actual + "/disable_ipv6").c_str(),
                      O_WRONLY | O_CLOEXEC);
      v6 >= 0) {
    [[maybe_unused]] ssize_t ignored = ::write(v6, "1", 1);
    ::close(v6);
  }
  int index = static_cast<int>(::if_nametoindex(actual.c_str()));
  if (index == 0) {
    Error e = sys_error("if_nametoindex " + actual);
    ::close(fd);
    return unexpected(std::move(e));
  }
  return std::unique_ptr<TunDevice>(new TunDevice(fd, std::move(actual), index));
}

TunDevice::TunDevice(int fd, std::string name, int ifindex)
    : fd_(fd), name_(std::move(name)), ifindex_(ifindex) {}

TunDevice::~TunDevice() {
  stop();
  ::close(fd_);
}

std::size_t TunDevice::read_batch(PacketBatch& batch) {
  std::size_t n = 0;
  while (n < batch.capacity()) {
    ssize_t got = ::read(fd_, batch.slot(n), batch.buffer_size());
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.read_errors;
      break;
    }
    if (got == 0) break;
    batch.set_length(n, static_cast<std::size_t>(got));
    ++counters_.packets_in;
    counters_.bytes_in += static_cast<std::size_t>(got);
    ++n;
  }
  batch.set_size(n);
  return n;
}

bool TunDevice::write(ByteView packet) {
  for (;;) {
    ssize_t put = ::write(fd_, packet.data(), packet.size());
    if (put < 0 && errno == EINTR) continue;
    if (put != static_cast<ssize_t>(packet.size())) {
      ++counters_.write_errors;
      return false;
    }
    ++counters_.packets_out;
    counters_.bytes_out += packet.size();
    return true;
  }
}

void TunDevice::start(boost::asio::io_context& io, PacketHandler handler, std::size_t batch_size) {
  stop();
  // The descriptor gets its own fd: asio closes what it owns, the device keeps fd_.
  int dup_fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    ++counters_.read_errors;
    return;
  }
  reader_ = std::make_shared<Reader>(io, dup_fd, this, std::move(handler), batch_size);
  reader_->arm();
}

void TunDevice::stop() {
  if (!reader_) return;
  reader_->stopped = true;
  boost::system::error_code ignored;
  reader_->descriptor.close(ignored);
  reader_.reset();
}

}  // namespace vpdnd::netlink
