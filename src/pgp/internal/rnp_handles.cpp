#include "pgp/internal/rnp_handles.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include <fmt/format.h>

namespace sealpost::pgp::internal {

Status FromRnp(rnp_result_t result, std::string_view what) {
  if (result == RNP_SUCCESS) return Status::Ok();
  std::string message = fmt::format("{}: {} (RNP 0x{:08x})", what, rnp_result_to_string(result),
                                    static_cast<uint32_t>(result));
  switch (result) {
    case RNP_ERROR_BAD_FORMAT:
    case RNP_ERROR_BAD_PARAMETERS:
    case RNP_ERROR_NOT_SUPPORTED:
    case RNP_ERROR_NOT_IMPLEMENTED:
    case RNP_ERROR_NOT_ENOUGH_DATA:
    case RNP_ERROR_UNKNOWN_TAG:
    case RNP_ERROR_PACKET_NOT_CONSUMED:
    case RNP_ERROR_NO_USERID:
    case RNP_ERROR_EOF:
    case RNP_ERROR_READ:
    case RNP_ERROR_SIGNATURE_UNKNOWN:
      return InvalidArgument(std::move(message));
    case RNP_ERROR_SHORT_BUFFER:
      return TooLarge(std::move(message));
    case RNP_ERROR_MAC_INVALID:
    case RNP_ERROR_SIGNATURE_INVALID:
    case RNP_ERROR_BAD_PASSWORD:
    case RNP_ERROR_DECRYPT_FAILED:
    case RNP_ERROR_NO_SIGNATURES_FOUND:
    case RNP_ERROR_SIGNATURE_EXPIRED:
    case RNP_ERROR_VERIFICATION_FAILED:
      return Unauthenticated(std::move(message));
    case RNP_ERROR_KEY_NOT_FOUND:
    case RNP_ERROR_NO_SUITABLE_KEY:
      return NotFound(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

Result<Ffi> NewFfi(TimePoint now) {
  rnp_ffi_t raw = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_ffi_create(&raw, RNP_KEYSTORE_GPG, RNP_KEYSTORE_GPG), "ffi"));
  Ffi ffi(raw);
  if (now != TimePoint{}) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    SP_RETURN_IF_ERROR(
        FromRnp(rnp_set_timestamp(ffi.get(), static_cast<uint64_t>(std::max<int64_t>(seconds, 1))),
                "set timestamp"));
  }
  return ffi;
}

namespace {

// An input with no bytes: rnp_input_from_memory refuses a zero length.
bool ReadNothing(void* /*ctx*/, void* /*buf*/, size_t /*len*/, size_t* read) {
  *read = 0;
  return true;
}

}  // namespace

Result<Input> InputOver(ByteView bytes) {
  rnp_input_t raw = nullptr;
  if (bytes.empty()) {
    SP_RETURN_IF_ERROR(
        FromRnp(rnp_input_from_callback(&raw, ReadNothing, nullptr, nullptr), "input"));
  } else {
    SP_RETURN_IF_ERROR(
        FromRnp(rnp_input_from_memory(&raw, bytes.data(), bytes.size(), false), "input"));
  }
  return Input(raw);
}

Result<Output> MemoryOutput(size_t max_bytes) {
  rnp_output_t raw = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_output_to_memory(&raw, max_bytes), "output"));
  return Output(raw);
}

ByteView OutputBytes(rnp_output_t output) {
  uint8_t* buf = nullptr;
  size_t len = 0;
  if (rnp_output_memory_get_buf(output, &buf, &len, false) != RNP_SUCCESS || buf == nullptr) {
    return {};
  }
  return {buf, len};
}

crypto::SecretBytes TakeSecretOutput(rnp_output_t output) {
  const ByteView bytes = OutputBytes(output);
  crypto::SecretBytes secret = crypto::SecretBytes::CopyOf(bytes);
  WipeOutput(output);
  return secret;
}

void WipeOutput(rnp_output_t output) {
  const ByteView bytes = OutputBytes(output);
  // RNP frees its memory output without clearing it; the buffer is ours until destroy.
  crypto::Wipe({const_cast<uint8_t*>(bytes.data()), bytes.size()});
}

std::string Str(const RnpString& s) { return s ? std::string(s.get()) : std::string(); }

uint32_t ToRnpTime(TimePoint t) {
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<uint32_t>(
      std::clamp<int64_t>(seconds, 0, std::numeric_limits<uint32_t>::max()));
}

TimePoint FromRnpTime(uint64_t seconds) {
  return TimePoint(std::chrono::seconds(static_cast<int64_t>(seconds)));
}

}  // namespace sealpost::pgp::internal
