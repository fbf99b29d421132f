// Reads a small file that holds a secret (a PEM private key, a base64 master key) straight into
// zeroizing memory: no std::string, no unwiped stack buffer on the way (platform::ReadSmallFile
// would leave both). Thread-safe; the file is untrusted only in its size (TooLarge past max_size).
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"
#include "crypto/secret_string.h"
#include "platform/filesystem.h"

namespace sealpost::keys {

Result<crypto::SecretString> ReadSecretFile(platform::Filesystem& fs, const std::string& path,
                                            size_t max_size);

}  // namespace sealpost::keys
