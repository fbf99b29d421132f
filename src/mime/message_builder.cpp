#include "mime/message_builder.h"

#include "mime/internal/build_entity.h"

namespace sealpost::mime {

Result<std::string> BuildMessage(const OutgoingMessage& message) {
  SP_ASSIGN_OR_RETURN(auto built, internal::BuildGMimeMessage(message));
  return internal::WriteWithCrlf(GMIME_OBJECT(built.get()));
}

}  // namespace sealpost::mime
