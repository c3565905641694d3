#include "common/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace vpdnd {
namespace {

// One MD5 implementation object for the process and one digest context per thread: the
// implicit fetch inside EVP_md5() and a context allocation per digest cost more than the
// digest itself for our 20-50 byte inputs.
const EVP_MD* md5_method() {
  static const EVP_MD* method = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return m != nullptr ? m : EVP_md5();
  }();
  return method;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

Md5Digest md5(std::initializer_list<ByteView> parts) {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  Md5Digest out{};
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), md5_method(), nullptr) == 1;
  for (ByteView part : parts) ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == out.size();
  if (!ok) std::abort();
  return out;
}

bool equal_secret(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vpdnd
