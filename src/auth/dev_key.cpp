// Loading or keeping the --dev signing key.
#include "auth/dev_key.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace natter::auth {
namespace {

constexpr const char* kDevKid = "natter-dev";

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("NATTER_DEV_KEY: " + path + ": " + why);
}

void write_new(const std::string& path, const std::string& pem) {
  const std::string partial = path + ".partial-" + std::to_string(::getpid());
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail(partial, std::strerror(errno));
  const bool written =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // Never over a key another instance wrote meanwhile: theirs is the one to share.
  if (!written || (::link(partial.c_str(), path.c_str()) != 0 && errno != EEXIST)) {
    const std::string why = std::strerror(errno);
    ::unlink(partial.c_str());
    fail(path, why);
  }
  ::unlink(partial.c_str());
}

}  // namespace

TokenSigner dev_signer(const std::string& path) {
  if (path.empty()) return TokenSigner::generate_rs256(kDevKid);
  if (::access(path.c_str(), F_OK) != 0) {
    write_new(path, TokenSigner::generate_rs256(kDevKid).private_pem());
  }
  std::ifstream in(path);
  if (!in) fail(path, "cannot be read");
  std::stringstream pem;
  pem << in.rdbuf();
  try {
    return TokenSigner::from_private_pem(pem.str(), kDevKid);
  } catch (const std::invalid_argument& e) {
    fail(path, e.what());
  }
}

}  // namespace natter::auth
